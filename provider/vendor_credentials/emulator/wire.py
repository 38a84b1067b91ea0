"""Emulated HTTP: requests, replies, routes, the handler context and the parsing helpers.

Nothing here does I/O or threading (see ``base``); the server turns sockets into ``Request``
objects and ``Reply`` objects into answers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .store import IssuedToken, Store


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


def text_field(data: Mapping[str, Any], name: str) -> str:
    """A required non-empty string field of an admin request."""
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {name!r} must be a non-empty string")
    return value
