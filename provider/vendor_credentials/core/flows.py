"""The flows a kind is proved with, written once: OAuth2 client credentials, probes, JSON fields.

A vendor module says how its kind differs (URLs, client authentication, which fields name the
identity); these functions do the requests through the session, register every secret and issued
token with the redactor before it can appear anywhere, and turn answers into typed errors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .errors import MalformedResponse
from .http import Reply, Session
from .kind import CredentialKind

ClientAuth = Literal["basic", "body"]


@dataclass(frozen=True)
class Bearer:
    """``Authorization: Bearer <token>``."""

    token: str


@dataclass(frozen=True)
class Basic:
    """``Authorization: Basic base64(user:password)``."""

    user: str
    password: str


@dataclass(frozen=True)
class Header:
    """The secret as the value of a named header (``X-Api-Key: <key>``)."""

    name: str
    value: str


Auth = Bearer | Basic | Header


def key_auth(
    key: str,
    auth: str,
    *,
    basic_user: str | None = None,
    basic_password: str | None = None,
    header_name: str | None = None,
) -> Auth:
    """An API key presented as declared: Bearer, a named header, or HTTP Basic with the key as
    the user name (``basic_password`` fixed, empty when None) or the password (``basic_user``)."""
    if auth == "header":
        return Header(header_name or "", key)
    if auth == "basic":
        return Basic(basic_user, key) if basic_user else Basic(key, basic_password or "")
    return Bearer(key)


@dataclass(frozen=True)
class IssuedToken:
    """An access token from an OAuth2 token endpoint (registered with the redactor)."""

    access_token: str
    expires_at: datetime
    scopes: tuple[str, ...] | None  # what the endpoint granted, when it said
    body: Mapping[str, Any]
    reply: Reply


class UnreadableGrant(MalformedResponse):
    """A 2xx grant answer carrying a refresh token, but no usable access token or expiry. The
    token presented may be spent already: a caller that can must still save ``successor``."""

    def __init__(self, cause: MalformedResponse, successor: str, access_token: str) -> None:
        super().__init__(
            vendor=cause.vendor,
            endpoint=cause.endpoint,
            status=cause.status,
            summary=cause.summary,
            hint=cause.hint,
            reference=cause.reference,
        )
        self.successor, self.access_token = successor, access_token


def client_credentials(
    kind: CredentialKind,
    session: Session,
    token_url: str,
    *,
    client_id: str,
    client_secret: str,
    scopes: Sequence[str] | None = None,
    client_auth: ClientAuth = "basic",
) -> IssuedToken:
    """RFC 6749 4.4: POST the form, require ``access_token`` and ``expires_in``."""
    form = {"grant_type": "client_credentials"}
    if scopes:
        form["scope"] = " ".join(scopes)
    return token_grant(
        kind,
        session,
        token_url,
        form,
        client_id=client_id,
        client_secret=client_secret,
        client_auth=client_auth,
        summary="rejected the client credentials",
    )


def token_grant(
    kind: CredentialKind,
    session: Session,
    token_url: str,
    form: Mapping[str, str],
    *,
    client_id: str,
    client_secret: str,
    client_auth: ClientAuth = "body",
    summary: str,
) -> IssuedToken:
    """POST a grant to an OAuth2 token endpoint; every token of the answer (access and refresh)
    is registered with the redactor before anything else can echo it. A 2xx answer carrying a
    refresh token but unusable otherwise raises ``UnreadableGrant``, which keeps the token."""
    sent = dict(form)
    auth: tuple[str, str] | None = None
    if client_auth == "basic":
        session.redactor.add_basic(client_id, client_secret)
        auth = (client_id, client_secret)
    else:
        session.redactor.add(client_secret)
        sent.update(client_id=client_id, client_secret=client_secret)
    reply = session.request(
        "POST",
        token_url,
        endpoint=f"POST {token_url}",
        data=sent,
        auth=auth,
        headers={"Accept": "application/json"},
    )
    successor = ""
    if 200 <= reply.status < 300 and isinstance(reply.json(), dict):
        found = reply.json().get("refresh_token")
        successor = found if isinstance(found, str) else ""
        session.redactor.add(successor)
    access_token = ""
    try:
        body = kind.expect_json(reply, summary=summary)
        access_token = str(kind.require(reply, body, "access_token"))
        session.redactor.add(access_token)  # before anything else can echo it
        expires_at = kind.expiry(reply, kind.require(reply, body, "expires_in"))
    except MalformedResponse as exc:
        if successor:  # never dropped: it may be the only usable token left
            raise UnreadableGrant(exc, successor, access_token) from None
        raise
    granted = body.get("scope")
    scopes_granted = tuple(sorted(set(granted.split()))) if isinstance(granted, str) else None
    return IssuedToken(access_token, expires_at, scopes_granted, body, reply)


def get(
    session: Session,
    url: str,
    auth: Auth,
    *,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One authenticated ``GET`` (JSON accepted), through the session's retries."""
    sent = {"Accept": "application/json", **(headers or {})}
    basic: tuple[str, str] | None = None
    if isinstance(auth, Bearer):
        sent["Authorization"] = f"Bearer {auth.token}"
    elif isinstance(auth, Basic):
        session.redactor.add_basic(auth.user, auth.password)
        basic = (auth.user, auth.password)
    else:
        session.redactor.add(auth.value)  # the session registers only Authorization values
        sent[auth.name] = auth.value
    return session.request("GET", url, endpoint=f"GET {url}", headers=sent, auth=basic)


def probe(
    kind: CredentialKind,
    session: Session,
    url: str,
    auth: Auth,
    *,
    headers: Mapping[str, str] | None = None,
    summary: str = "rejected the credential",
) -> tuple[Reply, dict[str, Any]]:
    """``get`` and the JSON object of its 2xx answer (a typed error for anything else)."""
    reply = get(session, url, auth, headers=headers)
    return reply, kind.expect_json(reply, summary=summary)


_MISSING = object()


def json_pointer(document: Any, pointer: str) -> Any:
    """RFC 6901: the value at ``pointer`` ("" is the whole document), or ``_MISSING``."""
    if pointer == "":
        return document
    current = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and str(int(token)) == token:
            index = int(token)
            if index >= len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def field_text(
    kind: CredentialKind, reply: Reply, body: Any, pointer: str, *, required: bool = True
) -> str:
    """The text of a scalar at ``pointer``; a missing required one is a malformed answer."""
    value = json_pointer(body, pointer)
    if value is _MISSING or value is None or value == "" or isinstance(value, dict | list):
        if required:
            raise kind.malformed(reply, f"answered without '{pointer}'")
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def identity_from(
    kind: CredentialKind, reply: Reply, body: Any, fields: Mapping[str, str]
) -> dict[str, str]:
    """``{output name: text at pointer}`` for every declared field (all of them required)."""
    return {name: field_text(kind, reply, body, pointer) for name, pointer in fields.items()}


def jwt_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, for display only (no signature check): empty when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def claimed_scopes(claims: dict[str, Any]) -> tuple[str, ...]:
    """The scopes a JWT's ``scp`` claim grants (a list, or a space-separated string), sorted."""
    scp = claims.get("scp")
    if isinstance(scp, str):
        scp = scp.split()
    return tuple(sorted({str(s) for s in scp})) if isinstance(scp, list) else ()
