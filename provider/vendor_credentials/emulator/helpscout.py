"""Help Scout's Inbox (Mailbox) API and Docs API, as the emulator serves them.

Mailbox: ``POST /v2/oauth2/token`` (client credentials in a form or JSON body; a bad client is
``invalid_client`` with 401, or 400 with the ``oauth_error_status`` option), then
``GET /v2/users/me`` with the bearer token. The authorization-code flow (consent page, code and
refresh-token grants) lives in ``helpscout_authorization.py``. Docs: ``GET /v1/sites`` with
HTTP Basic (the key as user name), wrapped in ``{"sites": ...}`` unless ``docs_wrapped`` is off.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from ..core.kind import Sample
from ..helpscout import DocsApiKeyKind, MailboxAuthorizationKind, MailboxCredentialKind
from .base import (
    Api,
    Context,
    Credential,
    Reply,
    Request,
    Route,
    Store,
    bearer_token,
    digest,
    json_reply,
    oauth_error,
    parse_auth,
    parse_params,
    secret_matches,
    stable_int,
    text_field,
)

TOKEN_TTL: Final = 172800


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
            id=stable_int(app_id, 900_000),
            company_id=stable_int("company:" + app_id, 900_000),
            email=f"owner-{digest(app_id).hex()[:6]}@example.com",
        )


@dataclass
class HelpScoutApp(Credential, api="helpscout_mailbox", secret="app_secret", lookup="app_id"):
    """A Help Scout Mailbox OAuth app (client_credentials flow)."""

    app_id: str
    app_secret: str
    user: HelpScoutUser
    no_api_access: bool = False
    redirect_url: str = ""  # the app's Redirection URL (authorization-code flow)


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
class DocsKey(Credential, api="helpscout_docs", secret="api_key", lookup="api_key"):
    """A Help Scout Docs API key (HTTP Basic user, password ignored)."""

    api_key: str
    sites: list[DocsSite]


# --------------------------------------------------------------------------- Mailbox


def _api_error(status: int, message: str) -> Reply:
    return json_reply(
        status,
        {"logRef": uuid.uuid4().hex[:16], "message": message, "_embedded": {"errors": []}},
    )


def _token(ctx: Context, request: Request) -> Reply:
    """`POST /v2/oauth2/token`: client_credentials, authorization_code or refresh_token."""
    from . import helpscout_authorization as authcode

    params = parse_params(request)
    grant_type = params.get("grant_type")
    grants = {"authorization_code": authcode.code_grant, "refresh_token": authcode.refresh_grant}
    if grant_type != "client_credentials" and grant_type not in grants:
        return oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
    app = ctx.store.get(HelpScoutApp.api, params.get("client_id", ""))
    if (
        not isinstance(app, HelpScoutApp)
        or app.revoked
        or not secret_matches(app.app_secret, params.get("client_secret", ""))
    ):
        status = int(ctx.options["oauth_error_status"])
        return oauth_error(status, "invalid_client", "Invalid client authentication")
    if grant_type in grants:
        return grants[grant_type](ctx, app, params)
    token = secrets.token_hex(16)
    ctx.store.issue(app, token, TOKEN_TTL, now=ctx.now)
    return json_reply(200, {"token_type": "bearer", "access_token": token, "expires_in": TOKEN_TTL})


def _authorize(ctx: Context, request: Request) -> Reply:
    from .helpscout_authorization import authorize

    return authorize(ctx, request)


def _users_me(ctx: Context, request: Request) -> Reply:
    """`GET /v2/users/me`: the owner of the app the bearer token was issued to."""
    record = bearer_token(ctx, request, HelpScoutApp.api)
    from .helpscout_authorization import user_of

    owner = ctx.store.get(HelpScoutApp.api, record.owner) if record else None
    if isinstance(owner, HelpScoutApp):
        user, app = owner.user, owner
    elif record is not None and (found := user_of(ctx.store, record.owner)) is not None:
        user, app = found
    else:
        return _api_error(401, "Invalid or expired access token")
    if app.no_api_access:
        return _api_error(403, "This account does not have access to the Mailbox API")
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


class MailboxApi(Api):
    name = "helpscout_mailbox"
    routes = (
        Route("POST", "/v2/oauth2/token", _token, token_endpoint=True),
        Route("GET", "/v2/users/me", _users_me),
        Route("GET", "/authentication/authorizeClientApplication", _authorize),
    )
    nominal_limit = 400
    options: ClassVar[Mapping[str, Any]] = {
        "oauth_error_status": 401,
        "helpscout_consent": "page",  # page | approve | approve:<email> | deny
        "helpscout_code_ttl": 600,  # seconds an authorization code stays usable
        "helpscout_single_use_refresh": True,  # a refresh token works once
        "helpscout_token_ttl": TOKEN_TTL,  # seconds an authorization-code access token lasts
    }
    samples = MailboxCredentialKind.samples

    def check_option(self, name: str, value: Any) -> Any:
        if name == "helpscout_consent":
            text = str(value)
            if text not in ("page", "approve", "deny") and not text.startswith("approve:"):
                raise ValueError("helpscout_consent must be page, approve, approve:<email> or deny")
            return text
        if name == "oauth_error_status" and int(value) not in (400, 401):
            raise ValueError("oauth_error_status must be 400 or 401")
        return super().check_option(name, value)

    def seed(self, store: Store) -> None:
        """The apps, then each authorisation sample's app and its consent."""
        super().seed(store)
        from .helpscout_authorization import seeded

        for sample in MailboxAuthorizationKind.samples:
            app = self.add(self.seed_fields(sample))
            store.add(app)
            store.add(seeded(sample.name, str(sample.inputs["refresh_token"]), app))

    def seed_fields(self, sample: Sample) -> Mapping[str, Any]:
        """A sample's app and the user its identity (and vendor data) describe."""
        ident = sample.identity
        reported: dict[str, Any] = {"role": ident["role"]} if "role" in ident else {}
        user = HelpScoutUser(
            id=int(ident["user_id"]),
            company_id=int(ident["company_id"]),
            email=ident["email"],
            **reported,
            **sample.vendor_data,
        )
        return {**sample.inputs, "user": user}

    def add(self, fields: Mapping[str, Any]) -> HelpScoutApp:
        app_id = text_field(fields, "app_id")
        return HelpScoutApp(
            app_id,
            text_field(fields, "app_secret"),
            fields.get("user") or HelpScoutUser.derived(app_id),
            no_api_access=bool(fields.get("no_api_access", False)),
            label=fields.get("label"),
            redirect_url=str(fields.get("redirect_url") or ""),
        )

    def error_body(self, status: int, message: str) -> Reply:
        return _api_error(status, message)

    def echo_secret_reply(self, route: Route, secret: str) -> Reply:
        if route.token_endpoint:
            return super().echo_secret_reply(route, secret)
        return _api_error(401, f"Invalid access token {secret}")

    def rate_headers(
        self, *, limit: int, remaining: int, reset_after: int, now: float, limited: bool
    ) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit-Minute": str(limit),
            "X-RateLimit-Remaining-Minute": str(remaining),
        }
        if limited:
            headers["X-RateLimit-Retry-After"] = str(reset_after)
        return headers

    def identify(self, store: Store, route: Route, request: Request) -> str | None:
        if route.token_endpoint:
            from .helpscout_authorization import refresh_label

            params = parse_params(request)
            if params.get("grant_type") == "refresh_token":
                label = refresh_label(store, params.get("refresh_token", ""))
                return label or "unknown-refresh-token"
            return params.get("client_id") or None
        return super().identify(store, route, request)

    def presented_secret(self, route: Route, request: Request) -> str:
        if route.token_endpoint:
            return parse_params(request).get("client_secret", "")
        return super().presented_secret(route, request)


# --------------------------------------------------------------------------- Docs


def _docs_error(status: int, message: str) -> Reply:
    return json_reply(status, {"status": status, "message": message})


def _sites(ctx: Context, request: Request) -> Reply:
    """`GET /v1/sites`: Basic auth with the API key as user; optionally unwrapped."""
    auth = parse_auth(request.headers)
    docs = ctx.store.get(DocsKey.api, auth.user) if auth.scheme == "basic" else None
    if not isinstance(docs, DocsKey) or docs.revoked:
        reply = _docs_error(401, "Unauthorized")
        reply.headers["WWW-Authenticate"] = 'Basic realm="Help Scout Docs API"'
        return reply
    page = {
        "page": 1,
        "pages": 1,
        "count": len(docs.sites),
        "items": [site.as_json() for site in docs.sites],
    }
    return json_reply(200, {"sites": page} if ctx.options["docs_wrapped"] else page)


def _site(item: object) -> DocsSite:
    if isinstance(item, DocsSite):
        return item
    if not isinstance(item, dict):
        raise ValueError("each site must be an object")
    return DocsSite(
        id=text_field(item, "id"),
        sub_domain=text_field(item, "subDomain"),
        company_name=str(item.get("companyName", "Demo Company")),
        status=str(item.get("status", "active")),
        cname=item.get("cname"),
    )


class DocsApi(Api):
    name = "helpscout_docs"
    routes = (Route("GET", "/v1/sites", _sites),)
    nominal_limit = 200
    options: ClassVar[Mapping[str, Any]] = {"docs_wrapped": True}
    samples = DocsApiKeyKind.samples

    def seed_fields(self, sample: Sample) -> Mapping[str, Any]:
        ident, data = sample.identity, sample.vendor_data
        sites = [
            DocsSite(site_id, sub, data["company_name"], cname=cname or None)
            for site_id, sub, cname in zip(
                ident["site_ids"].split(","),
                ident["subdomains"].split(","),
                data["cnames"].split(","),
                strict=True,
            )
        ]
        return {**sample.inputs, "sites": sites}

    def add(self, fields: Mapping[str, Any]) -> Credential:
        api_key = text_field(fields, "api_key")
        raw_sites = fields.get("sites")
        if raw_sites is None:
            ident = uuid.uuid5(uuid.NAMESPACE_OID, api_key).hex[:24]
            sites = [DocsSite(ident, f"site-{ident[:6]}", "Demo Company")]
        else:
            sites = [_site(item) for item in raw_sites]
        return DocsKey(api_key, sites, label=fields.get("label"))

    def error_body(self, status: int, message: str) -> Reply:
        return _docs_error(status, message)

    def echo_secret_reply(self, route: Route, secret: str) -> Reply:
        return _docs_error(401, f"Unauthorized: api key {secret} is wrong")

    def rate_headers(
        self, *, limit: int, remaining: int, reset_after: int, now: float, limited: bool
    ) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset_after),
        }

    def extra_headers(self) -> dict[str, str]:
        return {"Correlation-Id": str(uuid.uuid4())}

    def presented_secret(self, route: Route, request: Request) -> str:
        return parse_auth(request.headers).user


APIS: Final = (MailboxApi(), DocsApi())
