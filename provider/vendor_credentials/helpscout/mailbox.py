"""Help Scout's Inbox (Mailbox) API app: OAuth2 client credentials (App ID + App Secret).

``POST /v2/oauth2/token`` with the App ID and App Secret in a form body, then ``GET /v2/users/me``
with the bearer token for the identity. Tokens last 48 h and are not kept.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from ..core import flows
from ..core.http import RetryAfter, Session
from ..core.inputs import REPLACES, CredentialInputs, Identifier, Secret
from ..core.kind import CredentialKind, Sample, Validation, oauth_error_fields
from ..core.resource import credential_resource


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


MailboxCredential = credential_resource(MailboxCredentialKind)
