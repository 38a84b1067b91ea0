"""What every emulated API shares: the ``Api`` base and the discovery of the vendor modules.

Nothing here does I/O or threading, so the server can call it under one lock and tests can reason
about it without sockets. A vendor's emulator module (``emulator/<vendor>.py``) subclasses
``Api`` and ``Credential`` with that vendor's routes, answer shapes, seeds and faults; the server
finds those modules itself (``apis()``), so no file here names a vendor.

Requests, replies and routes live in ``wire``, credentials and the store in ``store``, the
injectable faults in ``faults``; their names are re-exported here, where vendor modules import them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Final

from .faults import (
    ECHO_FAULTS,
    ECHO_PREAMBLE,
    HTML_502_BODY,
    HUGE_BODY_BYTES,
    PROBE_ONLY_FAULTS,
    TOKEN_ONLY_FAULTS,
    Fault,
    apply_body_fault,
    html_502_reply,
    huge_reply,
)
from .store import (
    Credential,
    IssuedToken,
    Store,
    b64url,
    digest,
    new_secret,
    redact,
    secret_matches,
    stable_int,
)
from .wire import (
    REASONS,
    Auth,
    Context,
    Handler,
    Reply,
    Request,
    Route,
    bearer_token,
    json_reply,
    oauth_error,
    parse_auth,
    parse_params,
    text_field,
)

if TYPE_CHECKING:
    from ..core.kind import Sample

__all__ = [
    "ECHO_FAULTS",
    "ECHO_PREAMBLE",
    "HTML_502_BODY",
    "HUGE_BODY_BYTES",
    "PROBE_ONLY_FAULTS",
    "REASONS",
    "TOKEN_ONLY_FAULTS",
    "Api",
    "Auth",
    "Context",
    "Credential",
    "Fault",
    "Handler",
    "IssuedToken",
    "Reply",
    "Request",
    "Route",
    "Store",
    "api_named",
    "apis",
    "apply_body_fault",
    "b64url",
    "bearer_token",
    "digest",
    "html_502_reply",
    "huge_reply",
    "json_reply",
    "new_secret",
    "oauth_error",
    "parse_auth",
    "parse_params",
    "redact",
    "secret_matches",
    "stable_int",
    "text_field",
]

# Modules of this package that are machinery, not a vendor's emulator.
_MACHINERY: Final = frozenset(
    {
        "base",
        "wire",
        "store",
        "faults",
        "server",
        "routing",
        "admin",
        "sockets",
        "knobs",
        "__main__",
    }
)

# --------------------------------------------------------------------------- the API base


class Api:
    """One emulated API: routes, error shapes, rate-limit headers, seeds and admin additions."""

    name: ClassVar[str]  # e.g. "acme": the request log's ``vendor`` and the admin API's
    routes: ClassVar[tuple[Route, ...]]
    nominal_limit: ClassVar[int] = 1000  # shown in headers when no rate limit is configured
    options: ClassVar[Mapping[str, Any]] = {}  # option name -> default, e.g. answer variants
    version_header: ClassVar[str | None] = None  # logged per request when the API is versioned
    samples: ClassVar[Sequence[Sample]] = ()  # the kinds' samples ``seed`` loads

    def check_option(self, name: str, value: Any) -> Any:
        """An option's value as the API uses it (its default's type); ValueError when it cannot
        be one."""
        return type(self.options[name])(value)

    def seed(self, store: Store) -> None:
        """Load the deterministic demo credentials: each sample, labelled with its name."""
        for sample in self.samples:
            store.add(self.add({**self.seed_fields(sample), "label": sample.name}))

    def seed_fields(self, sample: Sample) -> Mapping[str, Any]:
        """The fields ``add`` takes for a sample (by default its inputs and vendor data)."""
        return {**sample.inputs, **sample.vendor_data}

    def add(self, fields: Mapping[str, Any]) -> Credential:
        """A credential from keyword fields (the Python API) or a JSON object (the admin API)."""
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Reply:
        """The API's error shape for a status (429, 5xx, 401 ...)."""
        return json_reply(status, {"error": message})

    def error_reply(self, route: Route, status: int) -> Reply:
        """A vendor-shaped error for an injected or rate-limited status (headers added later)."""
        reason = REASONS.get(status, "Error")
        if route.token_endpoint:
            error = "rate_limit_exceeded" if status == 429 else "server_error"
            return oauth_error(status, error, reason)
        return self.error_body(status, reason)

    def echo_secret_reply(self, route: Route, secret: str) -> Reply:
        """A 401 that carelessly repeats the secret it got, like some real APIs do."""
        if route.token_endpoint:
            return oauth_error(401, "invalid_client", f"client_secret {secret} is wrong")
        return self.error_body(401, f"Unauthorized: credential {secret} is invalid")

    def rate_headers(
        self, *, limit: int, remaining: int, reset_after: int, now: float, limited: bool
    ) -> dict[str, str]:
        """The API's rate-limit header dialect (default: RFC 9110 Retry-After on 429)."""
        return {"Retry-After": str(reset_after)} if limited else {}

    def extra_headers(self) -> dict[str, str]:
        """Headers every answer of this API carries (request ids ...)."""
        return {}

    def identify(self, store: Store, route: Route, request: Request) -> str | None:
        """A non-secret label for the credential a request used."""
        auth = parse_auth(request.headers)
        if auth.scheme == "basic":
            return _label(store.get(self.name, auth.user), auth.user)
        record = store.tokens.get(auth.token) if auth.token else None
        if record is not None:
            return record.owner
        return _label(store.get(self.name, auth.token), auth.token) if auth.token else None

    def presented_secret(self, route: Route, request: Request) -> str:
        """The secret a request carried, for the echo_secret fault (a leak to be redacted)."""
        auth = parse_auth(request.headers)
        return auth.password if auth.scheme == "basic" else auth.token

    def echo_reply(self, fault: Fault, route: Route, request: Request) -> Reply:
        """The 401 of an echo fault: the secret, the Authorization header or the form body."""
        if fault is Fault.ECHO_AUTHORIZATION:
            echoed = request.headers.get("authorization") or request.body.decode("utf-8", "replace")
        else:
            echoed = self.presented_secret(route, request)
        if fault is Fault.ECHO_AFTER_PREAMBLE:
            echoed = ECHO_PREAMBLE + echoed
        return self.echo_secret_reply(route, echoed)


def _label(cred: Credential | None, presented: str) -> str | None:
    if cred is not None:
        return cred.key
    return redact(presented) if presented else None


@cache
def apis() -> tuple[Api, ...]:
    """Every emulated API, found in this package's vendor modules (their ``APIS`` tuples)."""
    found: list[Api] = []
    package = importlib.import_module(__package__ or "vendor_credentials.emulator")
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name in _MACHINERY or module.ispkg:
            continue
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        found.extend(getattr(loaded, "APIS", ()))
    return tuple(found)


def api_named(name: str) -> Api:
    for api in apis():
        if api.name == name:
            return api
    raise ValueError(f"vendor must be one of {', '.join(a.name for a in apis())}")
