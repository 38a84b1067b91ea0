"""Intercom's ``GET /me`` on the regional hosts, as the emulator serves it.

One server stands in for all three regional hosts: a token is bound to its workspace's region and
``/me`` reports that region in ``app.region`` (upper-case, as Intercom does). Errors are
``{"type": "error.list", "errors": [{"code", "message"}]}``; ``X-RateLimit-Reset`` is an epoch.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..core.kind import Sample
from ..intercom import AccessTokenKind
from .base import (
    Api,
    Context,
    Credential,
    Reply,
    Request,
    Route,
    digest,
    json_reply,
    parse_auth,
    stable_int,
    text_field,
)

Region = Literal["us", "eu", "au"]
_REGIONS: Final[dict[str, Region]] = {"us": "us", "eu": "eu", "au": "au"}


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
        hexed = digest(token).hex()
        return cls(
            admin_id=str(stable_int(token, 9_000_000)),
            admin_email=f"admin-{hexed[:6]}@example.com",
            admin_name="Demo Admin",
            id_code=hexed[6:14],
            name=f"Demo Workspace ({region.upper()})",
        )


@dataclass
class IntercomToken(Credential, api="intercom", secret="token", lookup="token"):
    """An Intercom access token bound to one hosting region."""

    token: str
    region: Region
    workspace: IntercomWorkspace
    forbidden: bool = False


def _error(status: int, code: str, message: str) -> Reply:
    return json_reply(
        status,
        {
            "type": "error.list",
            "request_id": uuid.uuid4().hex[:20],
            "errors": [{"code": code, "message": message}],
        },
    )


_CODES: Final = {
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "service_unavailable",
}


def _me(ctx: Context, request: Request) -> Reply:
    """`GET /me`: the admin and workspace behind an access token."""
    auth = parse_auth(request.headers)
    ic = ctx.store.get(IntercomToken.api, auth.token) if auth.scheme == "bearer" else None
    if not isinstance(ic, IntercomToken) or ic.revoked:
        return _error(401, "unauthorized", "Access Token Invalid")
    if ic.forbidden:
        return _error(403, "forbidden", "You do not have permission to access /me")
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


class IntercomApi(Api):
    name = "intercom"
    routes = (Route("GET", "/me", _me),)
    nominal_limit = 1000
    version_header = "intercom-version"
    samples = AccessTokenKind.samples

    def seed_fields(self, sample: Sample) -> Mapping[str, Any]:
        ident = sample.identity
        workspace = IntercomWorkspace(
            admin_id=ident["admin_id"],
            admin_email=ident["admin_email"],
            admin_name="Acme Demo Admin",
            id_code=ident["workspace_id"],
            name=ident["workspace_name"],
            timezone=sample.vendor_data.get("timezone", "UTC"),
            created_at=1_650_000_000,
        )
        return {**sample.inputs, "workspace": workspace}

    def add(self, fields: Mapping[str, Any]) -> Credential:
        token = text_field(fields, "access_token")
        region = str(fields.get("region", "us")).lower()
        if region not in _REGIONS:
            raise ValueError("region must be us, eu or au")
        return IntercomToken(
            token,
            _REGIONS[region],
            fields.get("workspace") or IntercomWorkspace.derived(token, _REGIONS[region]),
            forbidden=bool(fields.get("forbidden", False)),
            label=fields.get("label"),
        )

    def error_body(self, status: int, message: str) -> Reply:
        return _error(status, _CODES.get(status, "unauthorized"), message)

    def echo_secret_reply(self, route: Route, secret: str) -> Reply:
        return _error(401, "unauthorized", f"Access Token {secret} Invalid")

    def rate_headers(
        self, *, limit: int, remaining: int, reset_after: int, now: float, limited: bool
    ) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(now) + reset_after),
        }


APIS: Final = (IntercomApi(),)
