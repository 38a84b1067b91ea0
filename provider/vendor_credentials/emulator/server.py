"""The emulator's HTTP server and its control surface (Python API and `/_emulator/` admin API).

A real socket server, so clients are exercised end to end: TLS, keep-alive, timeouts,
connection resets and oversized bodies behave as they would against the vendors.
All mutable state sits behind one lock; sleeps (latency, hang, connect cost) happen
outside it and wake early on stop() so shutdown is prompt.

The socket layer lives in ``sockets``, the route table, fault queue and fault answers in
``routing``, the admin API in ``admin``, the settings API in ``knobs``; ``Emulator`` holds the
state they work on.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
import sys
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any, Self

from . import admin
from .base import Api, api_named, apis
from .faults import Fault
from .knobs import Knobs, Settings
from .routing import (
    Plan,
    QueuedFault,
    RequestRecord,
    answer,
    option_owner,
    record_of,
    routes_by_path,
)
from .sockets import MAX_REQUEST_BODY, _Server
from .store import Store
from .wire import Context, Reply, Request, Route, json_reply

__all__ = ["MAX_REQUEST_BODY", "Emulator", "RequestRecord"]


class Emulator(Knobs):
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
            defaults[name] = option_owner(name).check_option(name, value)
        self._routes = routes_by_path()
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        self._seeded = seeded
        self.verbose = verbose
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._initial = Settings(latency, connect_cost, rate_limit, defaults)
        self._settings = self._initial
        self._store = self._fresh_store()
        self._faults: deque[QueuedFault] = deque()
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
            self._faults.append(QueuedFault(parsed, path, times, float(seconds)))

    def clear_faults(self) -> None:
        """Drop queued faults."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, route: Route) -> QueuedFault | None:
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
        record = record_of(request, api, status, credential, fault)
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

    def _plan(self, api: Api, route: Route, request: Request) -> Plan:
        """Decide the answer under the lock: fault, rate limit or the vendor's own reply."""
        mono = time.monotonic()
        with self._lock:
            settings = self._settings
            now = time.time() + settings.clock_offset
            credential = api.identify(self._store, route, request)
            if request.method != route.method:
                self._record(request, api, 405, credential, None)
                return Plan(
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
            reply = answer(api, route, request, answered, ctx)
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
            return Plan(reply, delay)

    def _reset_after(self, mono: float) -> int:
        return max(1, math.ceil(self._window[0] + 1.0 - mono)) if self._window else 1

    # ------------------------------------------------------------------ admin API

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        """`/_emulator/...`: JSON control for other processes (see ``admin``)."""
        return admin.handle(self, method, path, body)
