"""The vendor emulator in a child process, driven through its Python API over a pipe.

A separate process keeps the emulator's handler threads off the benchmark process's GIL (which
also hosts the Automation API's inline program server) and off the plugin's: what the engine and
the httpx baseline measure is then the network wait, not contention with the server. The child
owns one ``vendor_credentials.emulator.Emulator`` (unseeded); the parent calls a small whitelist of
its methods (``add``, ``clear_log``, ``count``, ``connections``, ``latency``, ``connect_cost``)
and reads the request log as (start, end, method, path) tuples.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One vendor request as the emulator served it (times are ``time.time()`` seconds)."""

    start: float  # when the handler began waiting the request's latency
    end: float  # when the answer was decided (after the latency)
    method: str
    path: str
    status: int | None


def _serve(conn: Connection) -> None:
    from vendor_credentials.emulator import Emulator

    emulator = Emulator(seeded=False).start()
    conn.send(emulator.base_url)
    try:
        while True:
            name, args, kwargs = conn.recv()
            try:
                result: Any
                if name == "stop":
                    conn.send(None)
                    return
                if name in ("add", "clear_log", "count"):
                    result = getattr(emulator, name)(*args, **kwargs)
                elif name == "configure":
                    emulator.latency = float(kwargs["latency"])
                    emulator.connect_cost = float(kwargs["connect_cost"])
                    result = None
                elif name == "connections":
                    result = emulator.connections
                elif name == "hits":
                    latency = emulator.latency
                    result = [
                        Hit(r.timestamp - latency, r.timestamp, r.method, r.path, r.status)
                        for r in emulator.requests
                    ]
                else:
                    raise ValueError(f"unknown emulator call {name!r}")
                conn.send(result)
            except Exception as exc:  # report to the parent instead of dying silently
                conn.send(exc)
    finally:
        emulator.stop()


class EmulatorProcess:
    """A running emulator in a spawned child process; use as a context manager."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child,), name="bench-emulator", daemon=True
        )
        self._process.start()
        child.close()
        self.base_url: str = self._conn.recv()

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._conn.send((name, args, kwargs))
        result = self._conn.recv()
        if isinstance(result, BaseException):
            raise result
        return result

    def configure(self, *, latency: float, connect_cost: float) -> None:
        """Seconds per request and seconds per new connection."""
        self.call("configure", latency=latency, connect_cost=connect_cost)

    def clear_log(self) -> None:
        self.call("clear_log")

    def count(self) -> int:
        return int(self.call("count"))

    def connections(self) -> int:
        return int(self.call("connections"))

    def hits(self) -> list[Hit]:
        return list(self.call("hits"))

    def close(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(EOFError, OSError):
                self.call("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()  # our own child, by handle
            self._process.join(timeout=5)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
