"""Where the browser comes back: the loopback callback server, or a URL the user pastes.

The vendor sends the browser to the app's registered Redirection URL with ``?code=...&state=...``
(or ``?error=access_denied``). ``login`` either listens on the loopback port of ``--callback-url``
or, with ``--no-browser``, reads the URL the user pastes. Either way the answer is checked the
same way: the ``state`` must be the one we sent, and a denial or a missing code ends the login
with a clear message before anything is exchanged or written.
"""

from __future__ import annotations

import hmac
import select
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from ..core.inputs import is_loopback_host


class LoginError(Exception):
    """The login stopped; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class CallbackUrl:
    """The redirect target: the app's Redirection URL, which ``login`` listens on."""

    url: str
    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str, *, listen: bool) -> CallbackUrl:
        """Check the URL; when ``login`` listens on it, it must be plain http on loopback."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise LoginError(f"--callback-url '{url}' is not a URL") from None
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise LoginError(
                f"--callback-url '{url}' must be an http(s) URL such as "
                "http://localhost:8765/callback"
            )
        if listen:
            if parts.scheme != "http" or not is_loopback_host(host):
                raise LoginError(
                    f"--callback-url '{url}': login listens on this machine, so it must be "
                    "http://localhost:<port>/<path> (or 127.0.0.1). For another address (a remote "
                    "shell, an https redirect), use --no-browser and paste the URL you land on"
                )
            if port is None:
                raise LoginError(f"--callback-url '{url}' must name a port, e.g. :8765")
        default_port = 443 if parts.scheme == "https" else 80
        return cls(url, parts.scheme, host, port or default_port, parts.path or "/")

    def same_place(self, other: str) -> bool:
        """True when ``other`` (a URL the browser came back to) is this URL, query aside."""
        try:
            parts = urlsplit(other)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        return (
            parts.scheme == self.scheme
            and (parts.hostname or "") == self.host
            and port == self.port
            and (parts.path or "/") == self.path
        )


@dataclass(frozen=True)
class Callback:
    """The query of the URL the browser came back to, and when it arrived."""

    url: str
    params: dict[str, str]
    received: float  # time.monotonic() at arrival

    @classmethod
    def from_url(cls, url: str) -> Callback:
        query = urlsplit(url.strip()).query
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items() if v}
        return cls(url.strip(), params, time.monotonic())


def code_from(callback: Callback, state: str, vendor_title: str) -> str:
    """The authorization code, after the checks that must pass before it is used."""
    params = callback.params
    error = params.get("error")
    if error:
        if error == "access_denied":
            raise LoginError(
                f"consent was denied in {vendor_title} (error=access_denied): nothing was "
                "exchanged or written. Run login again and choose Authorize"
            )
        detail = params.get("error_description", "")[:200]
        raise LoginError(
            f"{vendor_title} answered error={error[:60]}"
            + (f" ({detail})" if detail else "")
            + ": nothing was exchanged or written"
        )
    returned = params.get("state", "")
    if not hmac.compare_digest(returned.encode(), state.encode()):
        raise LoginError(
            "the state parameter of the callback does not match the one this login sent "
            "(an old browser tab, or a redirect not started by this login): the code was not "
            "used and nothing was written. Run login again and use the new URL"
        )
    code = params.get("code", "")
    if not code:
        raise LoginError(
            "the callback carries no 'code' parameter: nothing was exchanged or written. "
            "Make sure you copy the whole URL the browser landed on"
        )
    return code


PAGE_OK = "Authorised. You can close this tab and return to the terminal."
PAGE_FAILED = "Login did not complete: see the terminal for why."


class CallbackServer:
    """A one-shot HTTP server on the loopback port of the callback URL."""

    def __init__(self, target: CallbackUrl, check: Callable[[Callback], str]) -> None:
        self.target = target
        self._check = check  # raises LoginError for a bad callback; returns the code
        self._done = threading.Event()
        self.callback: Callback | None = None
        self.code: str | None = None
        self.error: LoginError | None = None
        host = "127.0.0.1" if target.host == "localhost" else target.host.strip("[]")
        handler = type("_Handler", (_Handler,), {"owner": self})
        try:
            self._server = _Server((host, target.port), handler, host)
        except OSError as exc:
            raise LoginError(
                f"cannot listen on {host}:{target.port} for the callback ({exc.strerror or exc}): "
                "another login or program uses that port. Stop it, or register another "
                "Redirection URL in the app and pass it as --callback-url"
            ) from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def offer(self, callback: Callback) -> tuple[int, str]:
        """Handle one request to the server: the first real callback settles the login."""
        if self._done.is_set():
            return 409, "This login has already received its callback."
        if not callback.params:  # favicon, a probe, a reload without a query: not an answer
            return 404, "Waiting for the authorization redirect."
        self.callback = callback
        try:
            self.code = self._check(callback)
        except LoginError as exc:
            self.error = exc
        self._done.set()
        return (200, PAGE_OK) if self.error is None else (400, PAGE_FAILED)

    def wait(self, timeout: float, progress: Callable[[float], None]) -> Callback:
        """Block until the callback arrives, reporting progress; raise on timeout or error."""
        start = time.monotonic()
        while not self._done.wait(1.0):
            elapsed = time.monotonic() - start
            if elapsed >= timeout:
                raise LoginError(
                    f"no callback within {timeout:.0f}s on {self.target.url}: nothing was "
                    "exchanged or written. If the browser showed an error page at another "
                    "address, the app's Redirection URL (Your Profile > My Apps) differs from "
                    "--callback-url: make them equal. Otherwise run login again (--timeout)"
                )
            progress(elapsed)
        if self.error is not None:
            raise self.error
        assert self.callback is not None
        return self.callback


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, host: str) -> None:
        if ":" in host:
            self.address_family = __import__("socket").AF_INET6
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    owner: CallbackServer

    def do_GET(self) -> None:
        target = self.owner.target
        url = f"{target.scheme}://{target.host}:{target.port}{self.path}"
        status, text = self.owner.offer(Callback.from_url(url))
        body = f"<!doctype html><title>vendor-credentials login</title><p>{text}</p>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the code."""


def read_pasted(timeout: float, prompt: str, stream: TextIO | None = None) -> Callback:
    """The URL the user pastes (``--no-browser``), within ``timeout`` seconds."""
    stream = stream or sys.stdin
    sys.stderr.write(prompt)
    sys.stderr.flush()
    try:
        ready, _, _ = select.select([stream], [], [], timeout)
    except (OSError, ValueError):  # not a selectable stream (tests pass StringIO)
        ready = [stream]
    if not ready:
        raise LoginError(
            f"no URL pasted within {timeout:.0f}s: nothing was exchanged or written. Run login "
            "again (--timeout)"
        )
    line = stream.readline()
    if not line.strip():
        raise LoginError("no URL was pasted: nothing was exchanged or written")
    return Callback.from_url(line)
