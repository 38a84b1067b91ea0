"""Warnings the user must see, sent to the engine's log service so the CLI prints them.

The engine starts a provider plugin with its own gRPC address as the last argument. A dynamic
provider's warnings go through the program (``pulumi.log.warn``); the plugin has no program, so
the core's warnings (e.g. "preview did not validate this credential: base_url is not trusted")
would otherwise reach only the plugin's stderr, which the CLI shows only with ``-v``. Messages are
the core's already-redacted text; the resource's URN comes from the request being served.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from collections.abc import Sequence
from typing import Any

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

CURRENT_URN: contextvars.ContextVar[str] = contextvars.ContextVar("urn", default="")
_ADDRESS = re.compile(r"^(?:[\w.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$")


def engine_address(argv: Sequence[str]) -> str | None:
    """The engine's ``host:port`` among the plugin's arguments (the last one that is one)."""
    for arg in reversed(argv):
        if _ADDRESS.match(arg):
            return arg
    return None


class EngineLogHandler(logging.Handler):
    """Forwards WARNING and above to the engine, attached to the resource being served."""

    def __init__(self, stub: Any) -> None:
        super().__init__(level=logging.WARNING)
        self._stub = stub

    def emit(self, record: logging.LogRecord) -> None:
        severity = engine_pb2.ERROR if record.levelno >= logging.ERROR else engine_pb2.WARNING
        request = engine_pb2.LogRequest(
            severity=severity, message=record.getMessage(), urn=CURRENT_URN.get()
        )
        with contextlib.suppress(grpc.RpcError):  # the engine is gone: nobody to tell
            self._stub.Log(request, timeout=5)


def forward_warnings(argv: Sequence[str], logger: logging.Logger) -> None:
    """Attach the forwarding handler when the engine passed its address."""
    address = engine_address(argv)
    if address is None:
        return
    channel = grpc.insecure_channel(address)
    logger.addHandler(EngineLogHandler(engine_pb2_grpc.EngineStub(channel)))
