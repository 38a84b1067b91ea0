"""What every emulated API shares: requests, replies, credentials, the store and the ``Api`` base.

Nothing here does I/O or threading, so the server can call it under one lock and tests can reason
about it without sockets. A vendor's emulator module (``emulator/<vendor>.py``) subclasses
``Api`` and ``Credential`` with that vendor's routes, answer shapes, seeds and faults; the server
finds those modules itself (``apis()``), so no file here names a vendor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import json
import pkgutil
import secrets
import string
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from ..core.kind import Sample

HUGE_BODY_BYTES: Final = 2 * 1024 * 1024  # twice the client's default limit
# Modules of this package that are machinery, not a vendor's emulator.
_MACHINERY: Final = frozenset({"base", "server", "__main__"})


class Fault(StrEnum):
    """One misbehaviour the emulator can inject into the next matching request(s)."""

    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    HTML_502 = "html_502"
    TRUNCATED_JSON = "truncated_json"
    MISSING_ACCESS_TOKEN = "missing_access_token"
    BAD_EXPIRES_IN = "bad_expires_in"
    HUGE_BODY = "huge_body"
    ECHO_SECRET = "echo_secret"
    ECHO_ISSUED_TOKEN = "echo_issued_token"  # the probe's 401 repeats the token it was shown
    ECHO_AFTER_PREAMBLE = "echo_after_preamble"  # the secret near the end of a long message
    ECHO_AUTHORIZATION = "echo_authorization"  # the Authorization header (or form body) repeated
    HANG = "hang"
    RESET = "reset"

    @classmethod
    def parse(cls, value: Fault | str | int) -> Fault:
        """Accept enum members, their values, or bare status codes (429 -> TOO_MANY_REQUESTS)."""
        return value if isinstance(value, Fault) else cls(str(value))


#: Faults that only make sense on token endpoints; with no path they skip other routes.
TOKEN_ONLY_FAULTS: Final = frozenset({Fault.MISSING_ACCESS_TOKEN, Fault.BAD_EXPIRES_IN})
#: Faults that, with no path, skip token endpoints: the probe shows the token just issued.
PROBE_ONLY_FAULTS: Final = frozenset({Fault.ECHO_ISSUED_TOKEN})
#: Faults answered by a 401 that repeats what the request carried (leaks to be redacted).
ECHO_FAULTS: Final = frozenset(
    {
        Fault.ECHO_SECRET,
        Fault.ECHO_ISSUED_TOKEN,
        Fault.ECHO_AFTER_PREAMBLE,
        Fault.ECHO_AUTHORIZATION,
    }
)
# Long enough that the secret straddles a 300-character cut of the vendor's message.
ECHO_PREAMBLE: Final = "The credential presented with this request could not be verified. " * 4


# --------------------------------------------------------------------------- requests/replies


@dataclass(frozen=True)
class Request:
    """What a vendor handler needs from an HTTP request (header names lower-cased)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""
    query: str = ""  # the raw query string (pages that take parameters in the URL)


@dataclass
class Reply:
    """An HTTP answer; the server adds Content-Length and connection headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Reply:
    """Serialise compactly, like the vendors do."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, headers=dict(headers or {}))


def oauth_error(status: int, error: str, description: str) -> Reply:
    """RFC 6749 section 5.2 error body, as every token endpoint answers."""
    return json_reply(status, {"error": error, "error_description": description})


REASONS: Final = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Context:
    """What a handler may read or change: the store, the emulator's options, the clock."""

    store: Store
    options: Mapping[str, Any]
    now: float


Handler = Callable[[Context, Request], Reply]


@dataclass(frozen=True)
class Route:
    """One endpoint of an emulated API."""

    method: str
    path: str
    handler: Handler
    token_endpoint: bool = False


@dataclass(frozen=True)
class Auth:
    """A parsed Authorization header; scheme is lower-case or None when absent."""

    scheme: str | None
    user: str = ""
    password: str = ""
    token: str = ""


def parse_auth(headers: Mapping[str, str]) -> Auth:
    """Split Basic/Bearer credentials; malformed Basic yields an empty user."""
    raw = headers.get("authorization", "").strip()
    if not raw:
        return Auth(None)
    scheme, _, value = raw.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return Auth("basic")
        user, _, password = decoded.partition(":")
        return Auth("basic", user=user, password=password)
    if scheme == "bearer":
        return Auth("bearer", token=value)
    return Auth(scheme, token=value)


def bearer_token(ctx: Context, request: Request, api: str) -> IssuedToken | None:
    """The live access token of ``api`` a request presents as Bearer (None: absent or dead)."""
    auth = parse_auth(request.headers)
    return ctx.store.valid_token(api, auth.token, ctx.now) if auth.scheme == "bearer" else None


def parse_params(request: Request) -> dict[str, str]:
    """Read a form or JSON body into flat string parameters (first value wins)."""
    content_type = request.headers.get("content-type", "").lower()
    text = request.body.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}
    return {k: values[0] for k, values in parse_qs(text, keep_blank_values=True).items()}


def redact(secret: str) -> str:
    """A log-safe label for a secret: a short prefix (only for long secrets) and its length."""
    prefix = secret[:4] if len(secret) >= 16 else ""
    return f"{prefix}...({len(secret)})"


_ALPHANUMERIC: Final = string.ascii_letters + string.digits


def new_secret(length: int = 40) -> str:
    """A fresh random-looking secret, used for rotation and issued tokens."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def digest(seed: str) -> bytes:
    return hashlib.sha256(seed.encode()).digest()


def stable_int(seed: str, modulo: int) -> int:
    """Deterministic identity data derived from a credential, so defaults are reproducible."""
    return int.from_bytes(digest(seed)[:8], "big") % modulo + 1


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secret_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def text_field(data: Mapping[str, Any], name: str) -> str:
    """A required non-empty string field of an admin request."""
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {name!r} must be a non-empty string")
    return value


# --------------------------------------------------------------------------- credentials


@dataclass
class Credential:
    """A credential an emulated API knows. Subclasses are dataclasses with the vendor's fields
    (``revoked`` and ``label`` come last in their constructors, by keyword) that name, as class
    keywords, the ``Api.name`` serving them, the field ``rotate`` replaces and the field requests
    find them by (may be the secret):
    ``class AcmeKey(Credential, api="acme", secret="api_key", lookup="api_key")``."""

    api: ClassVar[str]  # the ``Api.name`` serving it
    secret_field: ClassVar[str]  # the attribute ``rotate`` replaces
    lookup_field: ClassVar[str]  # the attribute requests find it by (may be the secret)
    revoked: bool = field(default=False, kw_only=True)  # ``revoke`` sets it
    label: str | None = field(default=None, kw_only=True)  # the seed's name (``revoke`` takes it)

    def __init_subclass__(cls, *, api: str, secret: str, lookup: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.api, cls.secret_field, cls.lookup_field = api, secret, lookup

    @property
    def lookup(self) -> str:
        return str(getattr(self, self.lookup_field))

    @property
    def key(self) -> str:
        """A log-safe name: the lookup value unless it is the secret itself."""
        if self.lookup_field == self.secret_field:
            return self.label or redact(self.lookup)
        return self.lookup

    def identifiers(self) -> tuple[str, ...]:
        """What ``revoke``/``rotate`` may name it by (besides its label)."""
        return (self.lookup, str(getattr(self, self.secret_field)))

    def rotated(self, secret: str) -> None:
        """Take ``secret`` as the new secret (``rotate``); the old one stops working."""
        setattr(self, self.secret_field, secret)

    def issued(self) -> tuple[str, ...]:
        """Secrets this credential handed out besides access tokens (refresh tokens)."""
        return ()


@dataclass
class IssuedToken:
    """An access token the emulator handed out; probes check it against this record."""

    api: str
    owner: str
    expires_at: float
    scopes: tuple[str, ...] = ()
    revoked: bool = False


@dataclass
class Store:
    """All credentials (per API, by lookup value) and issued tokens; callers hold one lock."""

    credentials: dict[str, dict[str, Credential]] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)

    def add(self, cred: Credential) -> None:
        self.credentials.setdefault(cred.api, {})[cred.lookup] = cred

    def get(self, api: str, lookup: str) -> Credential | None:
        return self.credentials.get(api, {}).get(lookup)

    def all(self) -> Iterable[Credential]:
        """Every configured credential, in a stable order."""
        for creds in self.credentials.values():
            yield from creds.values()

    def find(self, key: str) -> Credential | IssuedToken:
        """Resolve an id, secret, seed label or issued token; KeyError when unknown."""
        if key in self.tokens:
            return self.tokens[key]
        for cred in self.all():
            if key == cred.label or key in cred.identifiers():
                return cred
        raise KeyError(key)

    def set_revoked(self, key: str, revoked: bool) -> None:
        """Revoke or restore a credential (its issued tokens follow their owner)."""
        self.find(key).revoked = revoked

    def restore_all(self) -> None:
        """Undo every revocation."""
        for cred in self.all():
            cred.revoked = False
        for token in self.tokens.values():
            token.revoked = False

    def rotate(self, key: str) -> str:
        """Replace a credential's secret and return the new one; the old one stops working."""
        cred = self.find(key)
        if isinstance(cred, IssuedToken):
            raise ValueError("issued access tokens cannot be rotated; rotate their client")
        secret = new_secret()
        del self.credentials[cred.api][cred.lookup]
        cred.rotated(secret)
        self.add(cred)
        return secret

    def expire_tokens(self) -> int:
        """Make every issued token expired now (to test refresh paths)."""
        for token in self.tokens.values():
            token.expires_at = 0.0
        return len(self.tokens)

    def issue(
        self,
        owner: Credential,
        token: str,
        ttl: int,
        scopes: Sequence[str] = (),
        now: float | None = None,
    ) -> None:
        """Remember an access token so probe calls can check it."""
        issued_at = time.time() if now is None else now
        self._prune(issued_at)
        self.tokens[token] = IssuedToken(owner.api, owner.lookup, issued_at + ttl, tuple(scopes))

    def _prune(self, now: float) -> None:
        """Forget long-expired tokens so memory stays bounded in long demos."""
        if len(self.tokens) < 10_000:
            return
        for token, record in list(self.tokens.items()):
            if record.expires_at < now:
                del self.tokens[token]

    def valid_token(self, api: str, token: str, now: float) -> IssuedToken | None:
        """The record for a live token of this API, or None (unknown/expired/revoked)."""
        record = self.tokens.get(token)
        if record is None or record.api != api or record.revoked or record.expires_at <= now:
            return None
        owner = self.get(api, record.owner)
        if owner is None or owner.revoked:
            return None
        return record


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


HTML_502_BODY: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def html_502_reply() -> Reply:
    """What a proxy in front of the vendor answers when the upstream is down."""
    return Reply(502, HTML_502_BODY, content_type="text/html")


@cache
def _huge_body(size: int) -> bytes:
    filler = size - len(b'{"padding":""}')
    return b'{"padding":"' + b"A" * max(filler, 0) + b'"}'


def huge_reply(size: int = HUGE_BODY_BYTES) -> Reply:
    """A valid but enormous JSON document, to test response size caps (built once: building it
    under the server's lock on a loaded machine made clients time out waiting for headers)."""
    return Reply(200, _huge_body(size))


def apply_body_fault(fault: Fault, reply: Reply) -> Reply:
    """Corrupt a normal answer for the faults that start from one."""
    if fault is Fault.TRUNCATED_JSON:
        cut = max(1, len(reply.body) // 2)
        return Reply(200, reply.body[:cut], headers=reply.headers)
    if fault in TOKEN_ONLY_FAULTS and reply.status == 200:
        try:
            payload = json.loads(reply.body)
        except ValueError:
            return reply
        if not isinstance(payload, dict):
            return reply
        if fault is Fault.MISSING_ACCESS_TOKEN:
            payload.pop("access_token", None)
        else:
            payload["expires_in"] = "soon"
        return json_reply(200, payload, reply.headers)
    return reply
