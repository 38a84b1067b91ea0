"""The emulator's HTTP server and its control surface (Python API and `/_emulator/` admin API).

A real socket server, so clients are exercised end to end: TLS, keep-alive, timeouts,
connection resets and oversized bodies behave as they would against the vendors.
All mutable state sits behind one lock; sleeps (latency, hang, connect cost) happen
outside it and wake early on stop() so shutdown is prompt.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self

from .base import (
    ECHO_FAULTS,
    PROBE_ONLY_FAULTS,
    TOKEN_ONLY_FAULTS,
    Api,
    Context,
    Fault,
    Reply,
    Request,
    Route,
    Store,
    api_named,
    apis,
    apply_body_fault,
    html_502_reply,
    huge_reply,
    json_reply,
    parse_auth,
)

MAX_REQUEST_BODY: Final = 1024 * 1024
_STATUS_FAULTS: Final = {
    Fault.TOO_MANY_REQUESTS: 429,
    Fault.SERVER_ERROR: 500,
    Fault.BAD_GATEWAY: 502,
    Fault.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class RequestRecord:
    """One vendor request as the emulator saw it; never holds a secret."""

    method: str
    path: str
    vendor: str | None
    credential: str | None
    status: int | None
    timestamp: float
    api_version: str | None  # the API's version header, for APIs that are versioned by one
    auth_scheme: str | None
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        """For the admin API."""
        return asdict(self)


@dataclass
class _QueuedFault:
    fault: Fault
    path: str | None
    remaining: int
    seconds: float

    def matches(self, route: Route) -> bool:
        if self.path is not None:
            return self.path == route.path
        if route.token_endpoint:
            return self.fault not in PROBE_ONLY_FAULTS
        return self.fault not in TOKEN_ONLY_FAULTS


@dataclass(frozen=True)
class _Plan:
    """What the handler thread should do: answer (maybe after a delay) or drop the line."""

    reply: Reply | None
    delay: float = 0.0


@dataclass(frozen=True)
class _Settings:
    latency: float
    connect_cost: float
    rate_limit: int | None
    options: dict[str, Any]
    clock_offset: float = 0.0  # seconds the emulator's clock runs ahead (token expiry tests)


def _routes() -> dict[str, tuple[Api, Route]]:
    found: dict[str, tuple[Api, Route]] = {}
    for api in apis():
        for route in api.routes:
            if route.path in found:
                raise RuntimeError(f"{api.name} and {found[route.path][0].name} serve {route.path}")
            found[route.path] = (api, route)
    return found


def _option_owner(name: str) -> Api:
    for api in apis():
        if name in api.options:
            return api
    raise ValueError(f"unknown emulator option {name!r}")


class Emulator:
    """Every emulated vendor API on one local server, with knobs for failures tests provoke.

    ``options`` are the vendor modules' answer variants (``Api.options``), by name.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        latency: float = 0.0,
        connect_cost: float = 0.0,
        rate_limit: int | None = None,
        *,
        seeded: bool = True,
        verbose: bool = False,
        **options: Any,
    ) -> None:
        defaults = {name: value for api in apis() for name, value in api.options.items()}
        for name, value in options.items():
            defaults[name] = _option_owner(name).check_option(name, value)
        self._routes = _routes()
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        self._seeded = seeded
        self.verbose = verbose
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._initial = _Settings(latency, connect_cost, rate_limit, defaults)
        self._settings = self._initial
        self._store = self._fresh_store()
        self._faults: deque[_QueuedFault] = deque()
        self._log: list[RequestRecord] = []
        self._window: deque[float] = deque()
        self._connections = 0
        self._open: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self for chaining."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._stopping.clear()
        server = _Server((self._host, self._port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vendor-emulator:{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close the listening socket and drop open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            open_sockets = list(self._open)
            self._open.clear()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http(s)://host:port` of the running server."""
        if self._server is None:
            raise RuntimeError("emulator is not running")
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://{self._host}:{self._server.server_port}"

    @property
    def port(self) -> int:
        """The bound port (useful when constructed with port 0)."""
        if self._server is None:
            raise RuntimeError("emulator is not running")
        return self._server.server_port

    # ------------------------------------------------------------------ settings

    def _update(self, **changes: Any) -> None:
        with self._lock:
            current = asdict(self._settings)
            current.update(changes)
            self._settings = _Settings(**current)

    @property
    def latency(self) -> float:
        """Seconds added to every vendor request."""
        return self._settings.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._update(latency=max(0.0, float(seconds)))

    @property
    def connect_cost(self) -> float:
        """Seconds slept once per new TCP connection (a stand-in for a TLS handshake)."""
        return self._settings.connect_cost

    @connect_cost.setter
    def connect_cost(self, seconds: float) -> None:
        self._update(connect_cost=max(0.0, float(seconds)))

    @property
    def rate_limit(self) -> int | None:
        """Vendor requests allowed per sliding second across all vendors (None: unlimited)."""
        return self._settings.rate_limit

    @rate_limit.setter
    def rate_limit(self, per_second: int | None) -> None:
        self._update(rate_limit=None if per_second is None else max(1, int(per_second)))

    @property
    def clock_offset(self) -> float:
        """Seconds the emulator's clock (token and code expiry) runs ahead of real time."""
        return self._settings.clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward (never back); returns the new offset."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward: seconds must be >= 0")
        self._update(clock_offset=self._settings.clock_offset + float(seconds))
        return self._settings.clock_offset

    def option(self, name: str) -> Any:
        """The current value of a vendor module's option (e.g. an answer variant)."""
        _option_owner(name)
        return self._settings.options[name]

    def set_option(self, name: str, value: Any) -> None:
        """Change a vendor module's option; ValueError for an unknown name or bad value."""
        checked = _option_owner(name).check_option(name, value)
        self._update(options={**self._settings.options, name: checked})

    # ------------------------------------------------------------------ credentials

    def _fresh_store(self) -> Store:
        store = Store()
        if self._seeded:
            for api in apis():
                api.seed(store)
        return store

    def add(self, vendor: str, **fields: Any) -> None:
        """Register a credential with the emulated API named ``vendor`` (see its ``add``)."""
        cred = api_named(vendor).add(fields)
        with self._lock:
            self._store.add(cred)

    def revoke(self, key: str) -> None:
        """Make a credential (id, secret, seed name or issued token) fail with 401s."""
        with self._lock:
            self._store.set_revoked(key, True)

    def restore(self, key: str | None = None) -> None:
        """Undo revoke() for one credential, or for all when key is None."""
        with self._lock:
            if key is None:
                self._store.restore_all()
            else:
                self._store.set_revoked(key, False)

    def rotate(self, key: str) -> str:
        """Give a credential a new secret and return it; the old secret stops working."""
        with self._lock:
            return self._store.rotate(key)

    def issued_tokens(self) -> list[str]:
        """Every access token handed out so far: leak tests grep for them too."""
        with self._lock:
            issued = [s for cred in self._store.all() for s in cred.issued()]
            return [*self._store.tokens, *issued]

    def expire_tokens(self) -> int:
        """Expire every issued access token now; returns how many."""
        with self._lock:
            return self._store.expire_tokens()

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        fault: Fault | str | int,
        *,
        path: str | None = None,
        times: int = 1,
        seconds: float = 5.0,
    ) -> None:
        """Queue a fault for the next `times` matching vendor requests (FIFO).

        `path` None matches any vendor route (token endpoints only, for token faults);
        `seconds` is how long `hang` waits before answering.
        """
        parsed = Fault.parse(fault)
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(_QueuedFault(parsed, path, times, float(seconds)))

    def clear_faults(self) -> None:
        """Drop queued faults."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, route: Route) -> _QueuedFault | None:
        for queued in self._faults:
            if queued.matches(route):
                queued.remaining -= 1
                if queued.remaining <= 0:
                    self._faults.remove(queued)
                return queued
        return None

    # ------------------------------------------------------------------ observation

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log (vendor routes and unknown paths, not admin calls)."""
        with self._lock:
            return list(self._log)

    @property
    def connections(self) -> int:
        """TCP connections accepted since start/reset (each paid connect_cost once)."""
        with self._lock:
            return self._connections

    def clear_log(self) -> None:
        """Forget logged requests."""
        with self._lock:
            self._log.clear()

    def count(self, vendor: str | None = None, path: str | None = None) -> int:
        """Logged requests, optionally filtered by vendor and/or path."""
        with self._lock:
            return sum(
                1
                for record in self._log
                if (vendor is None or record.vendor == vendor)
                and (path is None or record.path == path)
            )

    def reset(self) -> None:
        """Back to the state at construction: seeded credentials, no faults/log/limits."""
        with self._lock:
            self._store = self._fresh_store()
            self._settings = self._initial
            self._faults.clear()
            self._log.clear()
            self._window.clear()
            self._connections = 0

    # ------------------------------------------------------------------ request path

    def _connected(self, sock: socket.socket) -> float:
        with self._lock:
            self._connections += 1
            self._open.add(sock)
            return self._settings.connect_cost

    def _disconnected(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _record(
        self,
        request: Request,
        api: Api | None,
        status: int | None,
        credential: str | None,
        fault: Fault | None,
    ) -> None:
        version_header = api.version_header if api else None
        record = RequestRecord(
            method=request.method,
            path=request.path,
            vendor=api.name if api else None,
            credential=credential,
            status=status,
            timestamp=time.time(),
            api_version=request.headers.get(version_header) if version_header else None,
            auth_scheme=parse_auth(request.headers).scheme,
            fault=fault.value if fault else None,
        )
        self._log.append(record)
        if self.verbose:
            suffix = f" fault={record.fault}" if record.fault else ""
            sys.stderr.write(
                f"emulator: {record.method} {record.path} -> {status} "
                f"[{record.vendor}/{credential}]{suffix}\n"
            )

    def _unrouted(self, request: Request) -> Reply:
        reply = json_reply(404, {"error": "not_found", "message": f"No route {request.path}"})
        with self._lock:
            self._record(request, None, 404, None, None)
        return reply

    def _plan(self, api: Api, route: Route, request: Request) -> _Plan:
        """Decide the answer under the lock: fault, rate limit or the vendor's own reply."""
        mono = time.monotonic()
        with self._lock:
            settings = self._settings
            now = time.time() + settings.clock_offset
            credential = api.identify(self._store, route, request)
            if request.method != route.method:
                self._record(request, api, 405, credential, None)
                return _Plan(
                    json_reply(405, {"error": "method_not_allowed"}, {"Allow": route.method})
                )
            while self._window and self._window[0] <= mono - 1.0:
                self._window.popleft()
            queued = self._take_fault(route)
            fault = queued.fault if queued else None
            limit = settings.rate_limit
            limited = fault is None and limit is not None and len(self._window) >= limit
            if not limited:
                self._window.append(mono)
            ctx = Context(self._store, settings.options, now)
            answered = Fault.TOO_MANY_REQUESTS if limited else fault
            reply = self._answer(api, route, request, answered, ctx)
            if reply is not None:
                shown = limit if limit is not None else api.nominal_limit
                reply.headers.update(
                    api.rate_headers(
                        limit=shown,
                        remaining=0 if reply.status == 429 else max(shown - len(self._window), 0),
                        reset_after=self._reset_after(mono),
                        now=now,
                        limited=reply.status == 429,
                    )
                )
                reply.headers.update(api.extra_headers())
            self._record(request, api, reply.status if reply else None, credential, fault)
            delay = queued.seconds if fault is Fault.HANG and queued is not None else 0.0
            return _Plan(reply, delay)

    def _reset_after(self, mono: float) -> int:
        return max(1, math.ceil(self._window[0] + 1.0 - mono)) if self._window else 1

    @staticmethod
    def _answer(
        api: Api, route: Route, request: Request, fault: Fault | None, ctx: Context
    ) -> Reply | None:
        """The reply for a request with this fault (None: drop the connection)."""
        if fault in _STATUS_FAULTS:
            reply = api.error_reply(route, _STATUS_FAULTS[fault])
            if fault is Fault.UNAVAILABLE:
                reply.headers["Retry-After"] = "1"
            return reply
        if fault is Fault.HTML_502:
            return html_502_reply()
        if fault is Fault.HUGE_BODY:
            return huge_reply()
        if fault in ECHO_FAULTS:
            return api.echo_reply(fault, route, request)
        if fault is Fault.RESET:
            return None
        reply = route.handler(ctx, request)
        if fault is not None and fault is not Fault.HANG:
            reply = apply_body_fault(fault, reply)
        return reply

    # ------------------------------------------------------------------ admin API

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        """`/_emulator/...`: JSON control for other processes; not logged, limited or delayed."""
        name = path.removeprefix("/_emulator").strip("/")
        try:
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            if method == "GET":
                if name == "requests":
                    return json_reply(200, {"requests": [r.as_json() for r in self.requests]})
                if name == "stats":
                    with self._lock:
                        stats = {
                            "connections": self._connections,
                            "requests": len(self._log),
                            "faults": len(self._faults),
                        }
                    return json_reply(200, stats)
                return json_reply(404, {"error": "not_found"})
            if method != "POST":
                return json_reply(405, {"error": "method_not_allowed"})
            return self._admin_post(name, data)
        except KeyError:
            return json_reply(404, {"error": "unknown_credential"})
        except (ValueError, TypeError) as exc:
            return json_reply(400, {"error": "bad_request", "message": str(exc)})

    def _admin_post(self, name: str, data: dict[str, Any]) -> Reply:
        ok = json_reply(200, {"ok": True})
        if name == "reset":
            self.reset()
        elif name == "revoke":
            self.revoke(_text(data, "key"))
        elif name == "restore":
            key = data.get("key")
            self.restore(None if key is None else _text(data, "key"))
        elif name == "rotate":
            return json_reply(200, {"secret": self.rotate(_text(data, "key"))})
        elif name == "latency":
            if "seconds" not in data:
                raise ValueError("missing field 'seconds'")
            self.latency = float(data["seconds"])
        elif name == "config":
            self._admin_config(data)
        elif name == "fault":
            fault = data.get("fault")
            if not isinstance(fault, str | int):
                raise ValueError("field 'fault' must be a string or a status code")
            path = data.get("path")
            if path is not None and not isinstance(path, str):
                raise ValueError("field 'path' must be a string")
            self.inject(
                fault,
                path=path,
                times=int(data.get("times", 1)),
                seconds=float(data.get("seconds", 5.0)),
            )
        elif name == "clear":
            self.clear_log()
            self.clear_faults()
        elif name == "expire":
            return json_reply(200, {"expired": self.expire_tokens()})
        elif name == "clock":
            return json_reply(200, {"offset": self.advance_clock(float(data.get("advance", 0)))})
        elif name == "credentials":
            self._admin_credentials(data)
        else:
            return json_reply(404, {"error": "not_found"})
        return ok

    def _admin_config(self, data: dict[str, Any]) -> None:
        for name, value in data.items():
            if name == "latency":
                self.latency = float(value)
            elif name == "connect_cost":
                self.connect_cost = float(value)
            elif name == "rate_limit":
                self.rate_limit = None if value is None else int(value)
            else:
                self.set_option(name, value)

    def _admin_credentials(self, data: dict[str, Any]) -> None:
        label = data.get("label")
        if label is not None and not isinstance(label, str):
            raise ValueError("label must be a string")
        fields = {k: v for k, v in data.items() if k != "vendor"}
        self.add(_text(data, "vendor"), **fields)


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {field!r} must be a non-empty string")
    return value


# ---------------------------------------------------------------------- socket layer


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
