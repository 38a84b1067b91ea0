"""A tiny real HTTP server on 127.0.0.1 that records what it receives: an "attacker" origin a
stored ``base_url`` may point at, a vendor answering odd headers, or a fake HTTP proxy."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    """One request as the server received it (proxies receive the absolute URL as path)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Origin:
    url: str
    seen: list[Seen] = field(default_factory=list)

    def text(self) -> str:
        """Everything received, for grepping."""
        return "\n".join(
            f"{s.method} {s.path}\n{s.headers}\n{s.body.decode('latin-1')}" for s in self.seen
        )


Answer = Callable[[Seen], tuple[int, dict[str, str], bytes]]


def _unauthorized(_: Seen) -> tuple[int, dict[str, str], bytes]:
    return 401, {"Content-Type": "application/json"}, b'{"message": "Unauthorized"}'


@contextmanager
def origin(answer: Answer = _unauthorized) -> Iterator[Origin]:
    """Serve ``answer`` on a free port of 127.0.0.1 until the block ends."""
    recorded = Origin("")

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, dict(self.headers), self.rfile.read(length))
            recorded.seen.append(seen)
            status, headers, body = answer(seen)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_CONNECT = _any

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recorded.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()
