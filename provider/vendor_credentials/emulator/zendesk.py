"""Zendesk's ``GET /api/v2/users/me.json``, as the emulator serves it.

HTTP Basic ``{email}/token:{api_token}``: an API token is the account's, and the email (primary
or a secondary identity of an agent) says whom it acts as; the answer is ``{"user": {...}}`` with
the agent's primary email. The endpoint is allowed for anonymous users: a request with no
credentials (or, with the ``zendesk_anonymous_on_bad_credentials`` option, with credentials it
does not accept) is answered ``200`` with the anonymous user (``id`` null, role ``end-user``);
otherwise bad credentials get ``401 {"error": "Couldn't authenticate you"}``. Rate limits answer
``429`` in plain text with ``Retry-After`` seconds and ``X-Rate-Limit`` headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from ..core.kind import Sample
from ..zendesk import ApiTokenKind
from .base import (
    Api,
    Context,
    Credential,
    Reply,
    Request,
    Route,
    Store,
    json_reply,
    parse_auth,
    stable_int,
    text_field,
)


@dataclass
class ZendeskAgent(Credential, api="zendesk", secret="api_token", lookup="api_token"):
    """An account's API token and the agent who uses it."""

    api_token: str
    subdomain: str
    email: str
    user_id: int
    role: str = "admin"
    name: str = "Demo Agent"
    aliases: list[str] = field(default_factory=list)


def _anonymous() -> Reply:
    """What Zendesk answers an anonymous caller of `/users/me`: a user without an id."""
    return json_reply(
        200,
        {
            "user": {
                "id": None,
                "url": None,
                "name": "Anonymous user",
                "email": "invalid@example.com",
                "role": "end-user",
                "verified": False,
                "active": True,
                "authenticity_token": "anonymous-csrf-token",
            }
        },
    )


def _me(ctx: Context, request: Request) -> Reply:
    """`GET /api/v2/users/me.json`."""
    auth = parse_auth(request.headers)
    if auth.scheme is None:
        return _anonymous()
    agent = ctx.store.get(ZendeskAgent.api, auth.password) if auth.scheme == "basic" else None
    login = auth.user.removesuffix("/token").lower()
    if (
        not isinstance(agent, ZendeskAgent)
        or agent.revoked
        or not auth.user.endswith("/token")
        or login not in {agent.email.lower(), *(a.lower() for a in agent.aliases)}
    ):
        if ctx.options["zendesk_anonymous_on_bad_credentials"]:
            return _anonymous()
        return json_reply(401, {"error": "Couldn't authenticate you"})
    return json_reply(
        200,
        {
            "user": {
                "id": agent.user_id,
                "url": f"https://{agent.subdomain}.zendesk.com/api/v2/users/{agent.user_id}.json",
                "name": agent.name,
                "email": agent.email,
                "role": agent.role,
                "verified": True,
                "active": True,
                "time_zone": "UTC",
            }
        },
    )


class ZendeskApi(Api):
    name = "zendesk"
    routes = (Route("GET", "/api/v2/users/me.json", _me),)
    nominal_limit = 700
    options: ClassVar[Mapping[str, Any]] = {"zendesk_anonymous_on_bad_credentials": False}
    samples = ApiTokenKind.samples

    def seed_fields(self, sample: Sample) -> Mapping[str, Any]:
        return {**sample.inputs, **sample.vendor_data, **sample.identity}

    def add(self, fields: Mapping[str, Any]) -> Credential:
        token = text_field(fields, "api_token")
        return ZendeskAgent(
            api_token=token,
            subdomain=text_field(fields, "subdomain"),
            email=text_field(fields, "email"),
            user_id=int(fields.get("user_id") or stable_int(token, 10**11)),
            role=str(fields.get("role", "admin")),
            name=str(fields.get("name", "Demo Agent")),
            aliases=[str(a) for a in fields.get("aliases", [])],
            label=fields.get("label"),
        )

    def error_body(self, status: int, message: str) -> Reply:
        if status == 429:
            return Reply(429, b"Number of allowed API requests per minute exceeded", "text/plain")
        return json_reply(status, {"error": message})

    def echo_secret_reply(self, route: Route, secret: str) -> Reply:
        return json_reply(401, {"error": "Couldn't authenticate you", "description": secret})

    def rate_headers(
        self, *, limit: int, remaining: int, reset_after: int, now: float, limited: bool
    ) -> dict[str, str]:
        headers = {"X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining)}
        return {**headers, "Retry-After": str(reset_after)} if limited else headers

    def identify(self, store: Store, route: Route, request: Request) -> str | None:
        auth = parse_auth(request.headers)
        agent = store.get(ZendeskAgent.api, auth.password) if auth.scheme == "basic" else None
        return agent.key if agent is not None else None


APIS: Final = (ZendeskApi(),)
