"""A made-up vendor for the generic kinds: an API-key-protected ``GET /generic/me`` and an OAuth2
token endpoint with a bearer-protected ``GET /generic/oauth/me``.

Each seeded key accepts only the presentation its sample declares (Bearer, Basic with the key as
user or as password, or a named header) and answers its sample's JSON document; anything else is
``401 {"error": "unauthorized", "message": ...}``. The token endpoint takes client authentication
by HTTP Basic or in the form body, refuses scopes outside the client's grants (``invalid_scope``)
and issues opaque tokens that live an hour. Rate limits answer the standard ``Retry-After``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..generic import ApiKeyKind, OAuth2ClientCredentialsKind
from .base import (
    Api,
    Context,
    Credential,
    Reply,
    Request,
    Route,
    Store,
    bearer_token,
    json_reply,
    new_secret,
    oauth_error,
    parse_auth,
    parse_params,
    secret_matches,
    text_field,
)

TOKEN_TTL: Final = 3600


@dataclass
class GenericKey(Credential, api="generic", secret="api_key", lookup="api_key"):
    """An API key and how it must be presented."""

    api_key: str
    auth: str = "bearer"  # bearer | basic | header
    basic_user: str | None = None  # the fixed user name (the key is the password)
    basic_password: str | None = None  # the fixed password (the key is the user name)
    header_name: str | None = None
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenericClient(Credential, api="generic", secret="client_secret", lookup="client_id"):
    """An OAuth2 client (client credentials grant) and what its probe answers."""

    client_id: str
    client_secret: str
    grants: list[str] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)


def _unauthorized(message: str = "Invalid API key") -> Reply:
    return json_reply(401, {"error": "unauthorized", "message": message})


def _presented(store: Store, request: Request) -> GenericKey | None:
    """The key this request presents the way that key must be presented, else None."""
    auth = parse_auth(request.headers)
    candidates = [auth.token, auth.user, auth.password, *request.headers.values()]
    for value in candidates:
        key = store.get(GenericKey.api, value) if value else None
        if not isinstance(key, GenericKey) or key.revoked:
            continue
        if key.auth == "bearer" and auth.scheme == "bearer" and auth.token == value:
            return key
        if key.auth == "header" and request.headers.get((key.header_name or "").lower()) == value:
            return key
        if key.auth == "basic" and auth.scheme == "basic":
            user, password = (
                (key.basic_user, value) if key.basic_user else (value, key.basic_password or "")
            )
            if secret_matches(user, auth.user) and secret_matches(password, auth.password):
                return key
    return None


def _me(ctx: Context, request: Request) -> Reply:
    """`GET /generic/me`: the key's account, if presented as declared."""
    key = _presented(ctx.store, request)
    return json_reply(200, key.answer) if key else _unauthorized()


def _token(ctx: Context, request: Request) -> Reply:
    """`POST /generic/oauth/token`: client credentials by Basic or in the form body."""
    auth = parse_auth(request.headers)
    params = parse_params(request)
    client_id, secret = (
        (auth.user, auth.password)
        if auth.scheme == "basic"
        else (params.get("client_id", ""), params.get("client_secret", ""))
    )
    client = ctx.store.get(GenericClient.api, client_id)
    if not isinstance(client, GenericClient) or client.revoked:
        return oauth_error(401, "invalid_client", "Client authentication failed")
    if not secret_matches(client.client_secret, secret):
        return oauth_error(401, "invalid_client", "Client authentication failed")
    if params.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    requested = params.get("scope", "").split() or list(client.grants)
    missing = [scope for scope in requested if scope not in client.grants]
    if missing:
        return oauth_error(400, "invalid_scope", f"Not granted: {' '.join(missing)}")
    token = "gat_" + new_secret(40)
    ctx.store.issue(client, token, TOKEN_TTL, requested, now=ctx.now)
    body = {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL}
    return json_reply(200, {**body, "scope": " ".join(requested)})


def _oauth_me(ctx: Context, request: Request) -> Reply:
    """`GET /generic/oauth/me`: the organisation behind a live bearer token."""
    record = bearer_token(ctx, request, GenericClient.api)
    client = ctx.store.get(GenericClient.api, record.owner) if record else None
    if not isinstance(client, GenericClient):
        return _unauthorized("Invalid access token")
    return json_reply(200, client.answer)


class GenericApi(Api):
    name = "generic"
    routes = (
        Route("GET", "/generic/me", _me),
        Route("POST", "/generic/oauth/token", _token, token_endpoint=True),
        Route("GET", "/generic/oauth/me", _oauth_me),
    )
    samples = (*ApiKeyKind.samples, *OAuth2ClientCredentialsKind.samples)

    def add(self, fields: Mapping[str, Any]) -> Credential:
        answer = copy.deepcopy(dict(fields.get("answer") or {}))
        if "client_id" in fields:
            return GenericClient(
                client_id=text_field(fields, "client_id"),
                client_secret=text_field(fields, "client_secret"),
                grants=[str(s) for s in fields.get("grants") or fields.get("scopes") or []],
                answer=answer,
                label=fields.get("label"),
            )
        return GenericKey(
            api_key=text_field(fields, "api_key"),
            auth=str(fields.get("auth", "bearer")),
            basic_user=fields.get("basic_user"),
            basic_password=fields.get("basic_password"),
            header_name=fields.get("header_name"),
            answer=answer,
            label=fields.get("label"),
        )

    def error_body(self, status: int, message: str) -> Reply:
        return json_reply(status, {"error": "unavailable", "message": message})

    def identify(self, store: Store, route: Route, request: Request) -> str | None:
        if route.path == "/generic/me":
            key = _presented(store, request)
            return key.key if key else None
        if route.token_endpoint and parse_auth(request.headers).scheme is None:
            return parse_params(request).get("client_id") or None
        return super().identify(store, route, request)

    def presented_secret(self, route: Route, request: Request) -> str:
        auth = parse_auth(request.headers)
        if auth.scheme == "basic":
            return f"{auth.user}:{auth.password}"
        if auth.token:
            return auth.token
        if route.token_endpoint:
            return parse_params(request).get("client_secret", "")
        return next((v for k, v in request.headers.items() if k.endswith("-key")), "")


APIS: Final = (GenericApi(),)
