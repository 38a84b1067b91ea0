"""How a vendor request is routed: the route table, queued faults, the answer a fault gives and
the log entry each request leaves.

Pure functions and records; the ``Emulator`` calls them under its lock.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Final

from .base import Api, apis
from .faults import (
    ECHO_FAULTS,
    PROBE_ONLY_FAULTS,
    TOKEN_ONLY_FAULTS,
    Fault,
    apply_body_fault,
    html_502_reply,
    huge_reply,
)
from .wire import Context, Reply, Request, Route, parse_auth

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


def record_of(
    request: Request,
    api: Api | None,
    status: int | None,
    credential: str | None,
    fault: Fault | None,
) -> RequestRecord:
    """The log entry of a vendor request (or of an unknown path, with no API)."""
    version_header = api.version_header if api else None
    return RequestRecord(
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


@dataclass
class QueuedFault:
    """A fault injected for the next ``remaining`` requests its path (or kind) matches."""

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
class Plan:
    """What the handler thread should do: answer (maybe after a delay) or drop the line."""

    reply: Reply | None
    delay: float = 0.0


def routes_by_path() -> dict[str, tuple[Api, Route]]:
    """Every vendor route by path, with its API; two APIs serving one path is a bug."""
    found: dict[str, tuple[Api, Route]] = {}
    for api in apis():
        for route in api.routes:
            if route.path in found:
                raise RuntimeError(f"{api.name} and {found[route.path][0].name} serve {route.path}")
            found[route.path] = (api, route)
    return found


def option_owner(name: str) -> Api:
    """The API that declares an emulator option; ValueError for an unknown name."""
    for api in apis():
        if name in api.options:
            return api
    raise ValueError(f"unknown emulator option {name!r}")


def answer(
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
