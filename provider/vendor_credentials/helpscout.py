"""Help Scout: the Inbox (Mailbox) API's OAuth2 client credentials, and the Docs API key.

Mailbox: ``POST /v2/oauth2/token`` with the App ID and App Secret in a form body, then
``GET /v2/users/me`` with the bearer token for the identity. Tokens last 48 h and are not kept.
Docs: no exchange; ``GET /v1/sites`` with HTTP Basic (key as user name, ``X`` as password).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi

from .core.http import RetryAfter, Session
from .core.inputs import CredentialInputs, Identifier, Secret
from .core.resource import TYPE_MODULE, CredentialResource
from .core.vendor import Validation, Vendor, oauth_error_fields


def _api_error_fields(body: Any) -> tuple[str, str]:
    """Mailbox API errors: ``{"logRef", "message", "_embedded": {"errors": [...]}}``."""
    if isinstance(body, dict) and "message" in body:
        return str(body.get("logRef") or ""), str(body.get("message") or "")
    return oauth_error_fields(body)


class MailboxCredentialInputs(CredentialInputs):
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret",)
    replace_fields: ClassVar[tuple[str, ...]] = ("app_id",)

    app_id: Identifier
    app_secret: Secret


class MailboxCredentialVendor(Vendor[MailboxCredentialInputs]):
    kind = "helpscout.MailboxCredential"
    vendor = "helpscout"
    title = "Help Scout Mailbox API app"
    inputs = MailboxCredentialInputs
    hosts: ClassVar[dict[str, str]] = {"api": "https://api.helpscout.net"}
    retry_after = RetryAfter("X-RateLimit-Retry-After")
    fix_hint = (
        "check the App ID and App Secret under Your Profile > My Apps in Help Scout and store the "
        "secret with `pulumi config set --secret`"
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        return _api_error_fields(body)

    def validate(self, spec: MailboxCredentialInputs, session: Session) -> Validation:
        origin = self.origin(spec, "api")
        token_url = f"{origin}/v2/oauth2/token"
        reply = session.request(
            "POST",
            token_url,
            endpoint=f"POST {token_url}",
            data={
                "grant_type": "client_credentials",
                "client_id": spec.app_id,
                "client_secret": spec.app_secret,
            },
        )
        token = self.expect_json(reply, summary="rejected the app credentials")
        access_token = str(self.require(reply, token, "access_token"))
        session.redactor.add(access_token)
        expires_at = self.expiry(reply, self.require(reply, token, "expires_in"))

        me_url = f"{origin}/v2/users/me"
        me = session.request(
            "GET",
            me_url,
            endpoint=f"GET {me_url}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if me.status == 403:
            # A valid credential on an account without API access: valid, and said so.
            return Validation(
                identity={"app_id": spec.app_id, "api_access": "none"}, expires_at=expires_at
            )
        user = self.expect_json(me, summary="rejected the token it had just issued")
        return Validation(
            identity={
                "app_id": spec.app_id,
                "user_id": str(self.require(me, user, "id")),
                "email": str(user.get("email") or ""),
                "company_id": str(user.get("companyId") or ""),
                "role": str(user.get("role") or ""),
            },
            expires_at=expires_at,
        )


class DocsApiKeyInputs(CredentialInputs):
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    api_key: Secret


class DocsApiKeyVendor(Vendor[DocsApiKeyInputs]):
    kind = "helpscout.DocsApiKey"
    vendor = "helpscout"
    title = "Help Scout Docs API key"
    inputs = DocsApiKeyInputs
    hosts: ClassVar[dict[str, str]] = {"docs": "https://docsapi.helpscout.net"}
    retry_after = RetryAfter("X-RateLimit-Reset")  # seconds until the window resets
    fix_hint = (
        "copy the Docs API key from Your Profile > Authentication > API Keys in Help Scout and "
        "store it with `pulumi config set --secret`"
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        if isinstance(body, dict) and "message" in body:
            return str(body.get("status") or ""), str(body.get("message") or "")
        return "", ""

    def validate(self, spec: DocsApiKeyInputs, session: Session) -> Validation:
        url = f"{self.origin(spec, 'docs')}/v1/sites"
        reply = session.request(
            "GET",
            url,
            endpoint=f"GET {url}",
            headers={"Accept": "application/json"},
            auth=(spec.api_key, "X"),
        )
        body = self.expect_json(reply, summary="rejected the API key")
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


class MailboxCredential(CredentialResource, module=TYPE_MODULE, name="HelpScoutMailboxCredential"):
    """A Help Scout Inbox API app (App ID + App Secret), proved by the OAuth2 token exchange.

    Outputs ``identity``: app_id, user_id, email, company_id, role (or ``api_access: none`` when
    the account has no API access). ``expires_at`` is the 48 h token's expiry; the token itself
    is not kept.
    """

    kind_name = MailboxCredentialVendor.kind

    def __init__(
        self,
        resource_name: str,
        *,
        app_id: pulumi.Input[str],
        app_secret: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            {
                "app_id": app_id,
                "app_secret": app_secret,
                "description": description,
                "base_url": base_url,
            },
            opts,
        )


class DocsApiKey(CredentialResource, module=TYPE_MODULE, name="HelpScoutDocsApiKey"):
    """A Help Scout Docs API key, probed with ``GET /v1/sites``.

    Outputs ``identity``: site_ids and subdomains (sorted, comma-separated), site_count.
    Docs API keys do not expire, so ``expires_at`` is empty.
    """

    kind_name = DocsApiKeyVendor.kind

    def __init__(
        self,
        resource_name: str,
        *,
        api_key: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            {"api_key": api_key, "description": description, "base_url": base_url},
            opts,
        )
