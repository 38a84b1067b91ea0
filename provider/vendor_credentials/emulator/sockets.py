"""The emulator's socket layer: a threaded HTTP server that wraps TLS lazily, and the handler
that reads each request (length-limited, chunked or not) and routes it to the admin API or a
vendor through the ``Emulator`` that owns the server.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final

from .wire import Reply, Request, json_reply

if TYPE_CHECKING:
    from .server import Emulator

MAX_REQUEST_BODY: Final = 1024 * 1024


class _Server(ThreadingHTTPServer):
    """Threaded server that wraps TLS lazily so handshakes run in handler threads."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer's getfqdn(): a reverse DNS lookup can stall start-up.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = self.emulator._ssl_context
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        self.emulator._disconnected(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer (timeouts, size caps, TLS refusals) are expected.
        if self.emulator.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Routes to the admin API or a vendor; every answer has Content-Length for keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "vendor-emulator/1.0"
    sys_version = ""
    timeout = 60.0
    # Buffer writes so head and body leave in one segment (no Nagle/delayed-ACK stall).
    wbufsize = 64 * 1024
    server: _Server

    def setup(self) -> None:
        super().setup()
        emulator = self.server.emulator
        emulator._sleep(emulator._connected(self.connection))
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the default line would include request targets and client details."""

    def _dispatch(self) -> None:
        emulator = self.server.emulator
        path = self.path.partition("?")[0].partition("#")[0] or "/"
        body = self._read_body()
        if body is None:
            return
        if path == "/_emulator" or path.startswith("/_emulator/"):
            self._send(emulator._admin(self.command, path, body))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        query = self.path.partition("?")[2].partition("#")[0]
        request = Request(self.command, path, headers, body, query)
        found = emulator._routes.get(path)
        if found is None:
            self._send(emulator._unrouted(request))
            return
        emulator._sleep(emulator.latency)
        plan = emulator._plan(*found, request)
        emulator._sleep(plan.delay)
        if plan.reply is None:
            self._drop()
        else:
            self._send(plan.reply)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST_BODY:
            self.close_connection = True
            self._send(json_reply(413 if length > 0 else 400, {"error": "bad_length"}))
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                size = -1
            total += max(size, 0)
            if size < 0 or total > MAX_REQUEST_BODY:
                self.close_connection = True
                self._send(json_reply(413 if size >= 0 else 400, {"error": "bad_chunk"}))
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, reply: Reply) -> None:
        content_type = reply.content_type
        if "charset" not in content_type:
            content_type += "; charset=utf-8"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def _drop(self) -> None:
        """Abort the connection without answering (RST where the OS allows)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
