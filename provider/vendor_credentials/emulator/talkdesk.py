"""Talkdesk's OAuth2 client credentials and ``GET /account``, as the emulator serves them.

``POST /oauth/token`` takes the client id and secret as HTTP Basic (a body is ignored), an
optional space-separated ``scope`` that must be a subset of the client's grants, and answers a
JWT whose claims carry the account (``acc``, ``aid``), client (``cid``) and scopes (``scp``).
``GET /account`` wants that JWT as Bearer (Basic is refused) with ``account:read``.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..core.kind import Sample
from ..talkdesk import ClientCredentialKind
from .base import (
    Api,
    Context,
    Credential,
    Reply,
    Request,
    Route,
    Store,
    b64url,
    bearer_token,
    json_reply,
    oauth_error,
    parse_auth,
    parse_params,
    secret_matches,
    text_field,
)

TOKEN_TTL: Final = 600


@dataclass
class TalkdeskClient(Credential, api="talkdesk", secret="client_secret", lookup="client_id"):
    """A Talkdesk OAuth client (client_credentials with Basic client auth)."""

    account: str
    client_id: str
    client_secret: str
    scopes: list[str]
    account_id: str
    company_name: str
    timezone: str = "UTC"


def _error(status: int, message: str) -> Reply:
    return json_reply(status, {"code": f"1000{status}", "message": message})


def jwt(client: TalkdeskClient, scopes: Sequence[str], now: float) -> str:
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
        "exp": issued_at + TOKEN_TTL,
        "jti": uuid.uuid4().hex,
    }
    parts = [
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(claims, separators=(",", ":")).encode()),
        b64url(secrets.token_bytes(64)),
    ]
    return ".".join(parts)


def _token(ctx: Context, request: Request) -> Reply:
    """`POST /oauth/token`: Basic client auth, form body, optional space-separated scope."""
    auth = parse_auth(request.headers)
    client = ctx.store.get(TalkdeskClient.api, auth.user) if auth.scheme == "basic" else None
    if (
        not isinstance(client, TalkdeskClient)
        or client.revoked
        or not secret_matches(client.client_secret, auth.password)
    ):
        return oauth_error(401, "invalid_client", "Client authentication failed")
    params = parse_params(request)
    if params.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    requested = params.get("scope", "").split()
    if not requested:
        granted = list(client.scopes)
    else:
        missing = [scope for scope in requested if scope not in client.scopes]
        if missing:
            return oauth_error(
                400, "invalid_scope", f"Scopes not granted to this client: {' '.join(missing)}"
            )
        granted = list(dict.fromkeys(requested))
    token = jwt(client, granted, ctx.now)
    ctx.store.issue(client, token, TOKEN_TTL, granted, now=ctx.now)
    return json_reply(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": " ".join(granted),
        },
    )


def _account(ctx: Context, request: Request) -> Reply:
    """`GET /account`: bearer JWT only (Basic is refused) and scope account:read."""
    record = bearer_token(ctx, request, TalkdeskClient.api)
    client = ctx.store.get(TalkdeskClient.api, record.owner) if record else None
    if record is None or not isinstance(client, TalkdeskClient):
        return _error(401, "Unauthorized: a valid bearer access token is required")
    if "account:read" not in record.scopes:
        return _error(403, "Forbidden: the access token lacks scope account:read")
    return json_reply(
        200,
        {
            "id": client.account_id,
            "name": client.account,
            "company_name": client.company_name,
            "timezone": client.timezone,
        },
    )


class TalkdeskApi(Api):
    name = "talkdesk"
    routes = (
        Route("POST", "/oauth/token", _token, token_endpoint=True),
        Route("GET", "/account", _account),
    )
    nominal_limit = 1000
    samples = ClientCredentialKind.samples

    def seed_fields(self, sample: Sample) -> Mapping[str, Any]:
        ident = sample.identity
        return {
            **sample.inputs,
            "account": sample.inputs["account_name"],
            "scopes": ident["scopes"],
            "account_id": ident["account_id"],
            "company_name": ident["company_name"],
            "timezone": sample.vendor_data.get("timezone", "UTC"),
        }

    def add(self, fields: Mapping[str, Any]) -> Credential:
        account = text_field(fields, "account")
        scopes = fields.get("scopes")
        if isinstance(scopes, str):
            scopes = scopes.split()
        return TalkdeskClient(
            account=account,
            client_id=text_field(fields, "client_id"),
            client_secret=text_field(fields, "client_secret"),
            scopes=["account:read"] if scopes is None else [str(s) for s in scopes],
            account_id=fields.get("account_id") or uuid.uuid5(uuid.NAMESPACE_DNS, account).hex[:24],
            company_name=fields.get("company_name") or account.replace("-", " ").title(),
            timezone=str(fields.get("timezone", "UTC")),
            label=fields.get("label"),
        )

    def error_body(self, status: int, message: str) -> Reply:
        return _error(status, message)

    def identify(self, store: Store, route: Route, request: Request) -> str | None:
        if route.token_endpoint:
            return parse_auth(request.headers).user or None
        return super().identify(store, route, request)


APIS: Final = (TalkdeskApi(),)
