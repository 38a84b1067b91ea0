"""Help Scout: the Inbox (Mailbox) API's OAuth2 client credentials, and the Docs API key.

Mailbox: ``POST /v2/oauth2/token`` with the App ID and App Secret in a form body, then
``GET /v2/users/me`` with the bearer token for the identity. Tokens last 48 h and are not kept.
Mailbox authorization (the authorization-code flow): ``vendor-credentials login helpscout``
stores a refresh token; it is exchanged (``grant_type=refresh_token``) as rarely as possible and
its successors are carried in state (``core/carry.py``).
Docs: no exchange; ``GET /v1/sites`` with HTTP Basic (key as user name, ``X`` as password).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from .core import flows
from .core.carry import RefreshTokenKind
from .core.http import RetryAfter, Session
from .core.inputs import REPLACES, CredentialInputs, Identifier, Secret
from .core.kind import CredentialKind, Sample, Validation, oauth_error_fields
from .core.resource import credential_resource


def mailbox_error_fields(body: Any) -> tuple[str, str]:
    """Mailbox API errors: ``{"logRef", "message", "_embedded": {"errors": [...]}}``."""
    if isinstance(body, dict) and "message" in body:
        return str(body.get("logRef") or ""), str(body.get("message") or "")
    return oauth_error_fields(body)


class MailboxCredentialInputs(CredentialInputs):
    app_id: Annotated[Identifier, REPLACES]
    app_secret: Secret


class MailboxCredentialKind(CredentialKind):
    kind = "helpscout.MailboxCredential"
    vendor = "helpscout"
    title = "Help Scout Mailbox API app"
    type_name = "HelpScoutMailboxCredential"
    inputs = MailboxCredentialInputs
    documentation = """A Help Scout Inbox API app (App ID + App Secret), proved by the OAuth2
    token exchange.

    Outputs ``identity``: app_id, user_id, email, company_id, role (or ``api_access: none`` when
    the account has no API access). ``expires_at`` is the 48 h token's expiry; the token itself
    is not kept.
    """
    hosts: ClassVar[dict[str, str]] = {"api": "https://api.helpscout.net"}
    retry_after = RetryAfter("X-RateLimit-Retry-After")
    fix_hint = (
        "check the App ID and App Secret under Your Profile > My Apps in Help Scout and store the "
        "secret with `pulumi config set --secret`"
    )
    exchanges_token = True
    tenant_fields = ("company_id",)
    samples = (
        Sample(
            name="helpscout_mailbox",
            inputs={
                "app_id": "QQO72v0IsVWrd36TsFfxkALaN7VzqJ9r",
                "app_secret": "6ecCml2WLF9uVrguyBr9nHEBN5ZSUNTygzcyzCTJ",
            },
            identity={
                "user_id": "100001",
                "email": "owner@acme-demo.example",
                "company_id": "200002",
                "role": "owner",
            },
            vendor_data={"first_name": "Ada", "last_name": "Acme"},
            replace={"app_id": "another-app-id"},
        ),
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        return mailbox_error_fields(body)

    def validate(self, spec: MailboxCredentialInputs, session: Session) -> Validation:
        origin = self.origin(spec, "api")
        token = flows.client_credentials(
            self,
            session,
            f"{origin}/v2/oauth2/token",
            client_id=spec.app_id,
            client_secret=spec.app_secret,
            client_auth="body",
        )
        me = flows.get(session, f"{origin}/v2/users/me", flows.Bearer(token.access_token))
        if me.status == 403:
            # A valid credential on an account without API access: valid, and said so.
            identity = {"app_id": spec.app_id, "api_access": "none"}
            return Validation(identity=identity, expires_at=token.expires_at)
        user = self.expect_json(me, summary="rejected the token it had just issued")
        identity = flows.identity_from(self, me, user, {"user_id": "/id"})
        for name, pointer in (("email", "/email"), ("company_id", "/companyId"), ("role", "/role")):
            identity[name] = flows.field_text(self, me, user, pointer, required=False)
        return Validation(identity={"app_id": spec.app_id, **identity}, expires_at=token.expires_at)


class MailboxAuthorizationInputs(CredentialInputs):
    refresh_token: Secret  # first: the secret the tests rotate and watch (the seed)
    app_id: Annotated[Identifier, REPLACES]
    app_secret: Secret


class MailboxAuthorizationKind(RefreshTokenKind):
    kind = "helpscout.MailboxAuthorization"
    vendor = "helpscout"
    title = "Help Scout Mailbox authorization"
    type_name = "HelpScoutMailboxAuthorization"
    inputs = MailboxAuthorizationInputs
    documentation = """A Help Scout user's consent to a Mailbox API app (OAuth2 authorization code),
    for integrations used by other Help Scout users. ``vendor-credentials login helpscout`` stores
    the refresh token (the seed) in stack config; it is exchanged for an access token and
    ``GET /v2/users/me`` names the user.

    Refresh tokens are treated as single use: the newest one and the current access token are
    kept in state as secret outputs, and exchanged only when the access token has (nearly)
    expired, in `pulumi up` or `pulumi refresh --skip-preview`. Outputs ``identity``: user_id,
    email, name, company_id. ``expires_at`` is the access token's expiry.
    """
    hosts: ClassVar[dict[str, str]] = {"api": "https://api.helpscout.net"}
    retry_after = RetryAfter("X-RateLimit-Retry-After")
    client_id_field = "app_id"
    client_secret_field = "app_secret"
    token_path = "/v2/oauth2/token"
    probe_path = "/v2/users/me"
    identity_fields: ClassVar[dict[str, str]] = {"user_id": "/id"}
    optional_identity: ClassVar[dict[str, tuple[str, ...]]] = {
        "email": ("/email",),
        "name": ("/firstName", "/lastName"),
        "company_id": ("/companyId",),
    }
    login_hint = fix_hint = (
        "the authorisation was revoked or its newest refresh token was lost: run "
        "`vendor-credentials login helpscout <App ID> --stack <stack> --config-key <key>` again, "
        "then `pulumi up`"
    )
    tenant_fields = ("company_id",)
    samples = (
        Sample(
            name="helpscout_authorization",
            inputs={
                "refresh_token": "8f1d2c3b4a5e6f708192a3b4c5d6e7f801234567",
                "app_id": "hsPublicApp5Jq2Wm8Zt4Rb7Xc1Vn6Ld",
                "app_secret": "Kp3Vx9Qa7Lm2Zr5Tw8Yb1Nc4Hd6Jf0Gs3Ue7Io9",
            },
            identity={
                "user_id": "100003",
                "email": "grace@acme-demo.example",
                "name": "Grace Hopper",
                "company_id": "200002",
            },
            vendor_data={"first_name": "Grace", "last_name": "Hopper", "role": "user"},
            replace={"app_id": "another-app-id"},
        ),
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        """The message without its per-request ``logRef``: ``status_reason`` stays the same from
        one refresh to the next while the authorisation stays revoked."""
        if isinstance(body, dict) and "message" in body:
            return "", str(body.get("message") or "")
        return oauth_error_fields(body)


class DocsApiKeyInputs(CredentialInputs):
    api_key: Secret


class DocsApiKeyKind(CredentialKind):
    kind = "helpscout.DocsApiKey"
    vendor = "helpscout"
    title = "Help Scout Docs API key"
    type_name = "HelpScoutDocsApiKey"
    inputs = DocsApiKeyInputs
    documentation = """A Help Scout Docs API key, probed with ``GET /v1/sites``.

    Outputs ``identity``: site_ids and subdomains (sorted, comma-separated), site_count.
    Docs API keys do not expire, so ``expires_at`` is empty.
    """
    hosts: ClassVar[dict[str, str]] = {"docs": "https://docsapi.helpscout.net"}
    retry_after = RetryAfter("X-RateLimit-Reset")  # seconds until the window resets
    fix_hint = (
        "copy the Docs API key from Your Profile > Authentication > API Keys in Help Scout and "
        "store it with `pulumi config set --secret`"
    )
    tenant_fields = ("subdomains",)
    samples = (
        Sample(
            name="helpscout_docs",
            inputs={"api_key": "e42878a511f92cd49d203aa91fa39a2ab1820bde"},
            identity={
                "site_ids": "869b5ff21561d6576bfd531d,96c058a918b32baf3e43195b",
                "subdomains": "acme-demo,acme-demo-internal",
                "site_count": "2",
            },
            vendor_data={"company_name": "Acme Demo", "cnames": ",docs.acme.example"},
        ),
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        if isinstance(body, dict) and "message" in body:
            return str(body.get("status") or ""), str(body.get("message") or "")
        return "", ""

    def validate(self, spec: DocsApiKeyInputs, session: Session) -> Validation:
        url = f"{self.origin(spec, 'docs')}/v1/sites"
        reply, body = flows.probe(
            self, session, url, flows.Basic(spec.api_key, "X"), summary="rejected the API key"
        )
        page = body.get("sites", body)  # documented unwrapped, served wrapped: accept both
        items = page.get("items") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise self.malformed(reply, "answered /v1/sites without a list of sites")
        sites = sorted(
            (str(s.get("id") or ""), str(s.get("subDomain") or ""))
            for s in items
            if isinstance(s, dict)
        )
        return Validation(
            identity={
                "site_ids": ",".join(site_id for site_id, _ in sites),
                "subdomains": ",".join(sub for _, sub in sites),
                "site_count": str(len(sites)),
            }
        )


MailboxCredential = credential_resource(MailboxCredentialKind)
MailboxAuthorization = credential_resource(MailboxAuthorizationKind)
DocsApiKey = credential_resource(DocsApiKeyKind)
