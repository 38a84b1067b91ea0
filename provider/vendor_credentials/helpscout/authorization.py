"""Help Scout Mailbox authorization: a user's consent to a Mailbox API app (authorization code).

``vendor-credentials login helpscout`` (``login.py``) stores a refresh token; it is exchanged
(``grant_type=refresh_token``) as rarely as possible and its successors are carried in state
(``core/carry.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from ..core.carry import RefreshTokenKind
from ..core.http import RetryAfter
from ..core.inputs import REPLACES, CredentialInputs, Identifier, Secret
from ..core.kind import Sample, oauth_error_fields
from ..core.resource import credential_resource


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
    client_hint = (
        "Help Scout refused the app: check app_id (the App ID) and app_secret (the App Secret, "
        "under Your Profile > My Apps) in stack config, then `pulumi up`"
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


MailboxAuthorization = credential_resource(MailboxAuthorizationKind)
