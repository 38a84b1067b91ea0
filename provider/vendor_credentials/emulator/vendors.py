"""Per-vendor behaviour of the emulator: data, seeds and request -> reply functions.

Nothing here does I/O or threading, so the server can call it under one lock and
tests can reason about it without sockets. Shapes follow the vendors' public docs
closely enough that a client which works here fails the same ways it would in
production (wrong auth scheme, wrong grant, unwrapped envelopes, ...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import string
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal
from urllib.parse import parse_qs

Vendor = Literal["helpscout_mailbox", "helpscout_docs", "intercom", "talkdesk"]
VENDORS: Final[tuple[Vendor, ...]] = (
    "helpscout_mailbox",
    "helpscout_docs",
    "intercom",
    "talkdesk",
)
Region = Literal["us", "eu", "au"]

HELPSCOUT_TOKEN_TTL: Final = 172800
TALKDESK_TOKEN_TTL: Final = 600
HUGE_BODY_BYTES: Final = 20 * 1024 * 1024
#: Nominal limits reported in headers when no rate limit is configured.
NOMINAL_LIMITS: Final[Mapping[Vendor, int]] = {
    "helpscout_mailbox": 400,
    "helpscout_docs": 200,
    "intercom": 1000,
    "talkdesk": 1000,
}


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
    HANG = "hang"
    RESET = "reset"

    @classmethod
    def parse(cls, value: Fault | str | int) -> Fault:
        """Accept enum members, their values, or bare status codes (429 -> TOO_MANY_REQUESTS)."""
        return value if isinstance(value, Fault) else cls(str(value))


#: Faults that only make sense on token endpoints; with no path they skip other routes.
TOKEN_ONLY_FAULTS: Final = frozenset({Fault.MISSING_ACCESS_TOKEN, Fault.BAD_EXPIRES_IN})


# --------------------------------------------------------------------------- requests/replies


@dataclass(frozen=True)
class Request:
    """What a vendor handler needs from an HTTP request (header names lower-cased)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""


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


@dataclass(frozen=True)
class Route:
    """A vendor endpoint the emulator serves."""

    vendor: Vendor
    method: str
    path: str
    token_endpoint: bool = False


ROUTES: Final[tuple[Route, ...]] = (
    Route("helpscout_mailbox", "POST", "/v2/oauth2/token", token_endpoint=True),
    Route("helpscout_mailbox", "GET", "/v2/users/me"),
    Route("helpscout_docs", "GET", "/v1/sites"),
    Route("intercom", "GET", "/me"),
    Route("talkdesk", "POST", "/oauth/token", token_endpoint=True),
    Route("talkdesk", "GET", "/account"),
)
_ROUTES_BY_PATH: Final = {route.path: route for route in ROUTES}


def find_route(path: str) -> Route | None:
    """Map a path (query already stripped) to its vendor route; method is checked later."""
    return _ROUTES_BY_PATH.get(path)


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


def _digest(seed: str) -> bytes:
    return hashlib.sha256(seed.encode()).digest()


def _stable_int(seed: str, modulo: int) -> int:
    """Deterministic identity data derived from a credential, so defaults are reproducible."""
    return int.from_bytes(_digest(seed)[:8], "big") % modulo + 1


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --------------------------------------------------------------------------- credentials


@dataclass
class HelpScoutUser:
    """The user `GET /v2/users/me` reports for a Help Scout mailbox app."""

    id: int
    company_id: int
    email: str
    first_name: str = "Demo"
    last_name: str = "Owner"
    role: str = "owner"
    timezone: str = "UTC"

    @classmethod
    def derived(cls, app_id: str) -> HelpScoutUser:
        """Identity data stable per app id, so tests can predict it."""
        return cls(
            id=_stable_int(app_id, 900_000),
            company_id=_stable_int("company:" + app_id, 900_000),
            email=f"owner-{_digest(app_id).hex()[:6]}@example.com",
        )


@dataclass
class HelpScoutApp:
    """A Help Scout Mailbox OAuth app (client_credentials flow)."""

    app_id: str
    app_secret: str
    user: HelpScoutUser
    no_api_access: bool = False
    revoked: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        """App ids are not secret, so the log may show them."""
        return self.app_id


@dataclass
class DocsSite:
    """One Help Scout Docs site as listed by `GET /v1/sites`."""

    id: str
    sub_domain: str
    company_name: str
    status: str = "active"
    cname: str | None = None

    def as_json(self) -> dict[str, object]:
        """Vendor field names."""
        return {
            "id": self.id,
            "subDomain": self.sub_domain,
            "companyName": self.company_name,
            "status": self.status,
            "cname": self.cname,
        }


@dataclass
class DocsKey:
    """A Help Scout Docs API key (HTTP Basic user, password ignored)."""

    api_key: str
    sites: list[DocsSite]
    revoked: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        """The key itself is secret, so log a label instead."""
        return self.label or redact(self.api_key)


@dataclass
class IntercomWorkspace:
    """The admin and app `GET /me` reports for an Intercom access token."""

    admin_id: str
    admin_email: str
    admin_name: str
    id_code: str
    name: str
    timezone: str = "UTC"
    created_at: int = 1_600_000_000

    @classmethod
    def derived(cls, token: str, region: Region) -> IntercomWorkspace:
        """Identity data stable per token."""
        digest = _digest(token).hex()
        return cls(
            admin_id=str(_stable_int(token, 9_000_000)),
            admin_email=f"admin-{digest[:6]}@example.com",
            admin_name="Demo Admin",
            id_code=digest[6:14],
            name=f"Demo Workspace ({region.upper()})",
        )


@dataclass
class IntercomToken:
    """An Intercom access token bound to one hosting region."""

    token: str
    region: Region
    workspace: IntercomWorkspace
    forbidden: bool = False
    revoked: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        """Tokens are secret, so log a label instead."""
        return self.label or redact(self.token)


@dataclass
class TalkdeskClient:
    """A Talkdesk OAuth client (client_credentials with Basic client auth)."""

    account: str
    client_id: str
    client_secret: str
    scopes: list[str]
    account_id: str
    company_name: str
    timezone: str = "UTC"
    revoked: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        """Client ids are not secret."""
        return self.client_id


@dataclass
class IssuedToken:
    """An access token the emulator handed out; probes check it against this record."""

    vendor: Vendor
    owner: str
    expires_at: float
    scopes: tuple[str, ...] = ()
    revoked: bool = False


Credential = HelpScoutApp | DocsKey | IntercomToken | TalkdeskClient


# --------------------------------------------------------------------------- seeds

_HS_APP_ID: Final = "QQO72v0IsVWrd36TsFfxkALaN7VzqJ9r"
_HS_APP_SECRET: Final = "6ecCml2WLF9uVrguyBr9nHEBN5ZSUNTygzcyzCTJ"
_DOCS_KEY: Final = "e42878a511f92cd49d203aa91fa39a2ab1820bde"
_IC_US: Final = "dG9rOj9EBFtnKHCcyytvqmjz4bacxpWPAGjDO2yctafSC3WM5YEEiMTDCA0J="
_IC_EU: Final = "dG9rOjQHFzoFpJoLMBOc1dofdjflQ9BWFbPZpYWYSVNvTmaJe8cmN2SwuQmj="
_IC_AU: Final = "dG9rOjexYvZI9JVUCGJIL5Rf1HQbS33gErYF7tuTOJAfc03claYI2YfwRfHl="
_TD_CLIENT_ID: Final = "2c7d28a3130cc685a9f440d5dc07f8c4"
_TD_SECRET: Final = "4DAHG4ADXHJpORkCMsL6KprqBxt3M8zOYaXV0eJI"
_TD_ACCOUNT: Final = "acme-demo"
_TD_SCOPES: Final = ("account:read", "users:read")

#: Credentials every emulator starts with (unless seeded=False). The secrets are fixed,
#: random-looking 40+ character strings so tests can grep state and logs for leaks.
#: Keys: helpscout_mailbox, helpscout_docs, intercom_us, intercom_eu, intercom_au, talkdesk.
DEMO_CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "helpscout_mailbox": {"app_id": _HS_APP_ID, "app_secret": _HS_APP_SECRET},
    "helpscout_docs": {"api_key": _DOCS_KEY},
    "intercom_us": {"access_token": _IC_US, "region": "us"},
    "intercom_eu": {"access_token": _IC_EU, "region": "eu"},
    "intercom_au": {"access_token": _IC_AU, "region": "au"},
    "talkdesk": {
        "account": _TD_ACCOUNT,
        "client_id": _TD_CLIENT_ID,
        "client_secret": _TD_SECRET,
        "scopes": " ".join(_TD_SCOPES),
    },
}

#: Non-secret identity the seeded credentials report, for asserting probe outputs.
DEMO_IDENTITIES: Final[dict[str, dict[str, str]]] = {
    "helpscout_mailbox": {
        "email": "owner@acme-demo.example",
        "user_id": "100001",
        "company_id": "200002",
    },
    "helpscout_docs": {"site_ids": "869b5ff21561d6576bfd531d,96c058a918b32baf3e43195b"},
    "intercom_us": {"app_id_code": "iibwflap", "email": "admin@acme-demo.example"},
    "intercom_eu": {"app_id_code": "lllbvdg8", "email": "admin@acme-demo.example"},
    "intercom_au": {"app_id_code": "xkiobrnk", "email": "admin@acme-demo.example"},
    "talkdesk": {"account_id": "b68b8289ca922ec5ab49279d", "account": _TD_ACCOUNT},
}


_DEMO_INTERCOM: Final[tuple[tuple[str, Region, str], ...]] = (
    (_IC_US, "us", "America/New_York"),
    (_IC_EU, "eu", "Europe/Dublin"),
    (_IC_AU, "au", "Australia/Sydney"),
)


def _demo_workspace(index: int, region: Region, timezone: str) -> IntercomWorkspace:
    ident = DEMO_IDENTITIES[f"intercom_{region}"]
    return IntercomWorkspace(
        admin_id=str(4_000_001 + index),
        admin_email=ident["email"],
        admin_name="Acme Demo Admin",
        id_code=ident["app_id_code"],
        name=f"Acme Demo {region.upper()}",
        timezone=timezone,
        created_at=1_650_000_000,
    )


def seed_demo(store: Store) -> None:
    """Load the deterministic demo credentials into a store."""
    ident = DEMO_IDENTITIES["helpscout_mailbox"]
    store.helpscout_apps[_HS_APP_ID] = HelpScoutApp(
        _HS_APP_ID,
        _HS_APP_SECRET,
        HelpScoutUser(
            id=int(ident["user_id"]),
            company_id=int(ident["company_id"]),
            email=ident["email"],
            first_name="Ada",
            last_name="Acme",
        ),
        label="helpscout_mailbox",
    )
    site_ids = DEMO_IDENTITIES["helpscout_docs"]["site_ids"].split(",")
    store.docs_keys[_DOCS_KEY] = DocsKey(
        _DOCS_KEY,
        [
            DocsSite(site_ids[0], "acme-demo", "Acme Demo"),
            DocsSite(site_ids[1], "acme-demo-internal", "Acme Demo", cname="docs.acme.example"),
        ],
        label="helpscout_docs",
    )
    for index, (token, region, timezone) in enumerate(_DEMO_INTERCOM):
        store.intercom_tokens[token] = IntercomToken(
            token, region, _demo_workspace(index, region, timezone), label=f"intercom_{region}"
        )
    store.talkdesk_clients[_TD_CLIENT_ID] = TalkdeskClient(
        account=_TD_ACCOUNT,
        client_id=_TD_CLIENT_ID,
        client_secret=_TD_SECRET,
        scopes=list(_TD_SCOPES),
        account_id=DEMO_IDENTITIES["talkdesk"]["account_id"],
        company_name="Acme Demo Inc.",
        timezone="Europe/Lisbon",
        label="talkdesk",
    )


# --------------------------------------------------------------------------- the store


@dataclass
class Store:
    """All credentials and issued tokens; callers serialise access with one lock."""

    helpscout_apps: dict[str, HelpScoutApp] = field(default_factory=dict)
    docs_keys: dict[str, DocsKey] = field(default_factory=dict)
    intercom_tokens: dict[str, IntercomToken] = field(default_factory=dict)
    talkdesk_clients: dict[str, TalkdeskClient] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)

    def credentials(self) -> Iterable[Credential]:
        """Every configured credential, in a stable order."""
        yield from self.helpscout_apps.values()
        yield from self.docs_keys.values()
        yield from self.intercom_tokens.values()
        yield from self.talkdesk_clients.values()

    def find(self, key: str) -> Credential | IssuedToken:
        """Resolve an id, secret, seed label or issued token; KeyError when unknown."""
        if key in self.tokens:
            return self.tokens[key]
        for cred in self.credentials():
            if key == cred.label or key in _identifiers(cred):
                return cred
        raise KeyError(key)

    def set_revoked(self, key: str, revoked: bool) -> None:
        """Revoke or restore a credential (its issued tokens follow their owner)."""
        self.find(key).revoked = revoked

    def restore_all(self) -> None:
        """Undo every revocation."""
        for cred in self.credentials():
            cred.revoked = False
        for token in self.tokens.values():
            token.revoked = False

    def rotate(self, key: str) -> str:
        """Replace a credential's secret and return the new one; the old one stops working."""
        cred = self.find(key)
        if isinstance(cred, IssuedToken):
            raise ValueError("issued access tokens cannot be rotated; rotate their client")
        secret = new_secret()
        if isinstance(cred, HelpScoutApp):
            cred.app_secret = secret
        elif isinstance(cred, TalkdeskClient):
            cred.client_secret = secret
        elif isinstance(cred, DocsKey):
            del self.docs_keys[cred.api_key]
            cred.api_key = secret
            self.docs_keys[secret] = cred
        else:
            del self.intercom_tokens[cred.token]
            cred.token = secret
            self.intercom_tokens[secret] = cred
        return secret

    def expire_tokens(self) -> int:
        """Make every issued token expired now (to test refresh paths)."""
        for token in self.tokens.values():
            token.expires_at = 0.0
        return len(self.tokens)

    def issue(
        self,
        vendor: Vendor,
        owner: str,
        token: str,
        ttl: int,
        scopes: Sequence[str] = (),
        now: float | None = None,
    ) -> None:
        """Remember an access token so probe calls can check it."""
        issued_at = time.time() if now is None else now
        self._prune(issued_at)
        self.tokens[token] = IssuedToken(vendor, owner, issued_at + ttl, tuple(scopes))

    def _prune(self, now: float) -> None:
        """Forget long-expired tokens so memory stays bounded in long demos."""
        if len(self.tokens) < 10_000:
            return
        for token, record in list(self.tokens.items()):
            if record.expires_at < now:
                del self.tokens[token]

    def valid_token(self, vendor: Vendor, token: str, now: float) -> IssuedToken | None:
        """The record for a live token of this vendor, or None (unknown/expired/revoked)."""
        record = self.tokens.get(token)
        if record is None or record.vendor != vendor or record.revoked:
            return None
        if record.expires_at <= now:
            return None
        owner: Credential | None
        if vendor == "helpscout_mailbox":
            owner = self.helpscout_apps.get(record.owner)
        else:
            owner = self.talkdesk_clients.get(record.owner)
        if owner is None or owner.revoked:
            return None
        return record


def _identifiers(cred: Credential) -> tuple[str, ...]:
    if isinstance(cred, HelpScoutApp):
        return (cred.app_id, cred.app_secret)
    if isinstance(cred, DocsKey):
        return (cred.api_key,)
    if isinstance(cred, IntercomToken):
        return (cred.token,)
    return (cred.client_id, cred.client_secret)


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Behaviour:
    """Per-emulator switches that change vendor answers."""

    oauth_error_status: int = 401
    docs_wrapped: bool = True


# --------------------------------------------------------------------------- identification


def identify(store: Store, route: Route, request: Request) -> str | None:
    """A non-secret label for the credential a request used (ids, seed names or redactions)."""
    auth = parse_auth(request.headers)
    if route.path == "/v2/oauth2/token":
        return parse_params(request).get("client_id") or None
    if route.path == "/oauth/token":
        return auth.user or None
    if route.vendor == "helpscout_docs":
        if not auth.user:
            return None
        docs = store.docs_keys.get(auth.user)
        return docs.key if docs else redact(auth.user)
    token = auth.token
    if not token:
        return None
    if route.vendor == "intercom":
        ic = store.intercom_tokens.get(token)
        return ic.key if ic else redact(token)
    record = store.tokens.get(token)
    return record.owner if record else redact(token)


def presented_secret(route: Route, request: Request) -> str:
    """The secret a request carried, for the echo_secret fault (a leak to be redacted)."""
    auth = parse_auth(request.headers)
    if route.path == "/v2/oauth2/token":
        return parse_params(request).get("client_secret", "")
    if route.path == "/oauth/token":
        return auth.password
    if route.vendor == "helpscout_docs":
        return auth.user
    return auth.token


# --------------------------------------------------------------------------- vendor shapes


def _helpscout_error(status: int, message: str) -> Reply:
    return json_reply(
        status,
        {"logRef": uuid.uuid4().hex[:16], "message": message, "_embedded": {"errors": []}},
    )


def _docs_error(status: int, message: str) -> Reply:
    return json_reply(status, {"status": status, "message": message})


def _intercom_error(status: int, code: str, message: str) -> Reply:
    return json_reply(
        status,
        {
            "type": "error.list",
            "request_id": uuid.uuid4().hex[:20],
            "errors": [{"code": code, "message": message}],
        },
    )


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply(status, {"error": error, "error_description": description})


def _talkdesk_error(status: int, message: str) -> Reply:
    return json_reply(status, {"code": f"1000{status}", "message": message})


_REASONS: Final = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_INTERCOM_CODES: Final = {
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "service_unavailable",
}


def error_reply(route: Route, status: int) -> Reply:
    """A vendor-shaped error body for an injected/limited status (headers added later)."""
    reason = _REASONS.get(status, "Error")
    if route.token_endpoint:
        error = "rate_limit_exceeded" if status == 429 else "server_error"
        return _oauth_error(status, error, reason)
    if route.vendor == "helpscout_mailbox":
        return _helpscout_error(status, reason)
    if route.vendor == "helpscout_docs":
        return _docs_error(status, reason)
    if route.vendor == "intercom":
        return _intercom_error(status, _INTERCOM_CODES.get(status, "server_error"), reason)
    return _talkdesk_error(status, reason)


def echo_secret_reply(route: Route, secret: str) -> Reply:
    """A 401 that carelessly repeats the secret it got, like some real APIs do."""
    if route.token_endpoint:
        return _oauth_error(401, "invalid_client", f"client_secret {secret} is wrong")
    if route.vendor == "helpscout_mailbox":
        return _helpscout_error(401, f"Invalid access token {secret}")
    if route.vendor == "helpscout_docs":
        return _docs_error(401, f"Unauthorized: api key {secret} is wrong")
    if route.vendor == "intercom":
        return _intercom_error(401, "unauthorized", f"Access Token {secret} Invalid")
    return _talkdesk_error(401, f"Unauthorized: token {secret} is invalid")


HTML_502_BODY: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def html_502_reply() -> Reply:
    """What a proxy in front of the vendor answers when the upstream is down."""
    return Reply(502, HTML_502_BODY, content_type="text/html")


def huge_reply(size: int = HUGE_BODY_BYTES) -> Reply:
    """A valid but enormous JSON document, to test response size caps."""
    filler = size - len(b'{"padding":""}')
    return Reply(200, b'{"padding":"' + b"A" * max(filler, 0) + b'"}')


def rate_headers(
    vendor: Vendor, *, limit: int, remaining: int, reset_after: int, now: float, limited: bool
) -> dict[str, str]:
    """Each vendor's rate-limit header dialect (seconds vs epoch, per-minute names...)."""
    remaining = max(remaining, 0)
    if vendor == "helpscout_mailbox":
        headers = {
            "X-RateLimit-Limit-Minute": str(limit),
            "X-RateLimit-Remaining-Minute": str(remaining),
        }
        if limited:
            headers["X-RateLimit-Retry-After"] = str(reset_after)
        return headers
    if vendor == "helpscout_docs":
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset_after),
        }
    if vendor == "intercom":
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(now) + reset_after),
        }
    return {"Retry-After": str(reset_after)} if limited else {}


# --------------------------------------------------------------------------- handlers


def _secret_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def helpscout_token(store: Store, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """`POST /v2/oauth2/token`: client_credentials from a form or JSON body."""
    params = parse_params(request)
    if params.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    app = store.helpscout_apps.get(params.get("client_id", ""))
    if (
        app is None
        or app.revoked
        or not _secret_matches(app.app_secret, params.get("client_secret", ""))
    ):
        return _oauth_error(
            behaviour.oauth_error_status, "invalid_client", "Invalid client authentication"
        )
    token = secrets.token_hex(16)
    store.issue("helpscout_mailbox", app.app_id, token, HELPSCOUT_TOKEN_TTL, now=now)
    return json_reply(
        200, {"token_type": "bearer", "access_token": token, "expires_in": HELPSCOUT_TOKEN_TTL}
    )


def helpscout_me(store: Store, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """`GET /v2/users/me`: the owner of the app the bearer token was issued to."""
    auth = parse_auth(request.headers)
    record = (
        store.valid_token("helpscout_mailbox", auth.token, now) if auth.scheme == "bearer" else None
    )
    if record is None:
        return _helpscout_error(401, "Invalid or expired access token")
    app = store.helpscout_apps[record.owner]
    if app.no_api_access:
        return _helpscout_error(403, "This account does not have access to the Mailbox API")
    user = app.user
    return json_reply(
        200,
        {
            "id": user.id,
            "companyId": user.company_id,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "email": user.email,
            "role": user.role,
            "timezone": user.timezone,
            "type": "user",
        },
    )


def docs_sites(store: Store, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """`GET /v1/sites`: Basic auth with the API key as user; optionally unwrapped."""
    auth = parse_auth(request.headers)
    docs = store.docs_keys.get(auth.user) if auth.scheme == "basic" else None
    if docs is None or docs.revoked:
        reply = _docs_error(401, "Unauthorized")
        reply.headers["WWW-Authenticate"] = 'Basic realm="Help Scout Docs API"'
        return reply
    page = {
        "page": 1,
        "pages": 1,
        "count": len(docs.sites),
        "items": [site.as_json() for site in docs.sites],
    }
    return json_reply(200, {"sites": page} if behaviour.docs_wrapped else page)


def intercom_me(store: Store, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """`GET /me`: the admin and workspace behind an access token."""
    auth = parse_auth(request.headers)
    ic = store.intercom_tokens.get(auth.token) if auth.scheme == "bearer" else None
    if ic is None or ic.revoked:
        return _intercom_error(401, "unauthorized", "Access Token Invalid")
    if ic.forbidden:
        return _intercom_error(403, "forbidden", "You do not have permission to access /me")
    ws = ic.workspace
    return json_reply(
        200,
        {
            "type": "admin",
            "id": ws.admin_id,
            "email": ws.admin_email,
            "name": ws.admin_name,
            "email_verified": True,
            "app": {
                "type": "app",
                "id_code": ws.id_code,
                "name": ws.name,
                "region": ic.region.upper(),
                "timezone": ws.timezone,
                "created_at": ws.created_at,
                "identity_verification": False,
            },
            "avatar": {"type": "avatar", "image_url": None},
            "has_inbox_seat": True,
        },
    )


def talkdesk_jwt(client: TalkdeskClient, scopes: Sequence[str], now: float) -> str:
    """An unsigned-in-spirit JWT with the claims Talkdesk puts in its access tokens."""
    issued_at = int(now)
    header = {"alg": "RS256", "typ": "JWT", "kid": "emulator"}
    claims = {
        "iss": f"https://{client.account}.talkdeskid.com",
        "aud": "https://api.talkdeskapp.com",
        "acc": client.account,
        "aid": client.account_id,
        "cid": client.client_id,
        "sub": client.client_id,
        "scp": list(scopes),
        "iat": issued_at,
        "exp": issued_at + TALKDESK_TOKEN_TTL,
        "jti": uuid.uuid4().hex,
    }
    parts = [
        _b64url(json.dumps(header, separators=(",", ":")).encode()),
        _b64url(json.dumps(claims, separators=(",", ":")).encode()),
        _b64url(secrets.token_bytes(64)),
    ]
    return ".".join(parts)


def talkdesk_token(store: Store, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """`POST /oauth/token`: Basic client auth, form body, optional space-separated scope."""
    auth = parse_auth(request.headers)
    client = store.talkdesk_clients.get(auth.user) if auth.scheme == "basic" else None
    if client is None or client.revoked or not _secret_matches(client.client_secret, auth.password):
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    params = parse_params(request)
    if params.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    requested = params.get("scope", "").split()
    if not requested:
        granted = list(client.scopes)
    else:
        missing = [scope for scope in requested if scope not in client.scopes]
        if missing:
            return _oauth_error(
                400, "invalid_scope", f"Scopes not granted to this client: {' '.join(missing)}"
            )
        granted = list(dict.fromkeys(requested))
    token = talkdesk_jwt(client, granted, now)
    store.issue("talkdesk", client.client_id, token, TALKDESK_TOKEN_TTL, granted, now=now)
    return json_reply(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TALKDESK_TOKEN_TTL,
            "scope": " ".join(granted),
        },
    )


def talkdesk_account(store: Store, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """`GET /account`: bearer JWT only (Basic is refused) and scope account:read."""
    auth = parse_auth(request.headers)
    record = store.valid_token("talkdesk", auth.token, now) if auth.scheme == "bearer" else None
    if record is None:
        return _talkdesk_error(401, "Unauthorized: a valid bearer access token is required")
    if "account:read" not in record.scopes:
        return _talkdesk_error(403, "Forbidden: the access token lacks scope account:read")
    client = store.talkdesk_clients[record.owner]
    return json_reply(
        200,
        {
            "id": client.account_id,
            "name": client.account,
            "company_name": client.company_name,
            "timezone": client.timezone,
        },
    )


HANDLERS: Final = {
    "/v2/oauth2/token": helpscout_token,
    "/v2/users/me": helpscout_me,
    "/v1/sites": docs_sites,
    "/me": intercom_me,
    "/oauth/token": talkdesk_token,
    "/account": talkdesk_account,
}


def handle(store: Store, route: Route, request: Request, behaviour: Behaviour, now: float) -> Reply:
    """Answer a vendor request as the vendor would."""
    return HANDLERS[route.path](store, request, behaviour, now)


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
