"""Talkdesk OAuth2 client credentials: ``POST https://{account}.talkdeskid.com/oauth/token``.

Client authentication is HTTP Basic on the token request only; later API calls use
``Authorization: Bearer`` (one of our source documents says Basic; the vendor's own docs and real
clients use Bearer). Identity comes from the JWT's claims (decoded for display, not verified),
and from ``GET /account`` when the token has ``account:read``. Tokens live 10 minutes and are not
kept.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, ClassVar, Literal

import pulumi
from pydantic import AfterValidator

from .core.errors import CredentialRejected
from .core.http import Reply, RetryAfter, Session
from .core.inputs import CredentialInputs, DnsLabel, Identifier, Secret
from .core.resource import TYPE_MODULE, CredentialResource
from .core.vendor import Validation, Vendor


def _scope_list(value: list[str]) -> list[str]:
    for scope in value:
        if not scope or any(c.isspace() for c in scope) or not scope.isascii():
            raise ValueError("each scope must be one non-empty word, e.g. 'account:read'")
    return value


class ClientCredentialInputs(CredentialInputs):
    secret_fields: ClassVar[tuple[str, ...]] = ("client_secret",)
    replace_fields: ClassVar[tuple[str, ...]] = ("account_name", "client_id", "region")

    account_name: DnsLabel
    client_id: Identifier
    client_secret: Secret
    region: Literal["us", "eu", "ca"] = "us"
    scopes: Annotated[list[str], AfterValidator(_scope_list)] | None = None


def _jwt_claims(token: str) -> dict[str, Any] | None:
    """The JWT payload, for display only (no signature check): None when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


class ClientCredentialVendor(Vendor[ClientCredentialInputs]):
    kind = "talkdesk.ClientCredential"
    vendor = "talkdesk"
    title = "Talkdesk OAuth client"
    inputs = ClientCredentialInputs
    hosts: ClassVar[dict[str, str]] = {
        "id-us": "https://{account}.talkdeskid.com",
        "id-eu": "https://{account}.talkdeskid.eu",
        "id-ca": "https://{account}.talkdeskidca.com",
        "api-us": "https://api.talkdeskapp.com",
        "api-eu": "https://api.talkdeskapp.eu",
        "api-ca": "https://api.talkdeskappca.com",
    }
    retry_after = RetryAfter("Retry-After")
    fix_hint = (
        "check the client id and secret of the OAuth client (Admin > OAuth Clients in Talkdesk), "
        "its granted scopes, and the account name; store the secret with "
        "`pulumi config set --secret`"
    )

    def validate(self, spec: ClientCredentialInputs, session: Session) -> Validation:
        token_url = (
            self.origin(spec, f"id-{spec.region}", account=spec.account_name) + "/oauth/token"
        )
        session.redactor.add_basic(spec.client_id, spec.client_secret)
        form = {"grant_type": "client_credentials"}
        if spec.scopes:
            form["scope"] = " ".join(spec.scopes)
        reply = session.request(
            "POST",
            token_url,
            endpoint=f"POST {token_url}",
            data=form,
            auth=(spec.client_id, spec.client_secret),
            headers={"Accept": "application/json"},
        )
        token = self.expect_json(reply, summary="rejected the client credentials")
        access_token = str(self.require(reply, token, "access_token"))
        session.redactor.add(access_token)
        expires_at = self.expiry(reply, self.require(reply, token, "expires_in"))
        claims = _jwt_claims(access_token) or {}
        scopes = self._scopes(token, claims)
        account = str(claims.get("acc") or "")
        if account and account != spec.account_name:
            raise CredentialRejected(
                vendor=self.vendor,
                endpoint=reply.endpoint,
                status=reply.status,
                summary="the client belongs to another account",
                code="account_mismatch",
                field="account_name",
                detail=f"token is for account '{account}', the resource says '{spec.account_name}'",
                hint="set account_name to the client's account",
            )
        identity = {
            "account_name": account or spec.account_name,
            "account_id": str(claims.get("aid") or ""),
            "client_id": str(claims.get("cid") or claims.get("sub") or spec.client_id),
            "scopes": " ".join(scopes),
        }
        if "account:read" in scopes:
            identity.update(self._account(spec, session, access_token))
        return Validation(identity=identity, scopes=tuple(scopes), expires_at=expires_at)

    def _scopes(self, token: dict[str, Any], claims: dict[str, Any]) -> list[str]:
        granted = token.get("scope")
        if isinstance(granted, str):
            return sorted(set(granted.split()))
        scp = claims.get("scp")
        if isinstance(scp, list):
            return sorted({str(s) for s in scp})
        if isinstance(scp, str):
            return sorted(set(scp.split()))
        return []

    def _account(
        self, spec: ClientCredentialInputs, session: Session, access_token: str
    ) -> dict[str, str]:
        url = self.origin(spec, f"api-{spec.region}") + "/account"
        reply: Reply = session.request(
            "GET",
            url,
            endpoint=f"GET {url}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        account = self.expect_json(reply, summary="rejected the token it had just issued")
        return {
            "account_id": str(account.get("id") or ""),
            "company_name": str(account.get("company_name") or ""),
        }


class ClientCredential(CredentialResource, module=TYPE_MODULE, name="TalkdeskClientCredential"):
    """A Talkdesk OAuth client (client credentials grant) on one account.

    Outputs ``identity``: account_name, account_id, client_id, scopes (and company_name when the
    client has ``account:read``). ``expires_at`` is the 10-minute token's expiry; the token is not
    kept. ``scopes`` lists what the vendor granted.
    """

    kind_name = ClientCredentialVendor.kind

    def __init__(
        self,
        resource_name: str,
        *,
        account_name: pulumi.Input[str],
        client_id: pulumi.Input[str],
        client_secret: pulumi.Input[str],
        region: pulumi.Input[str] = "us",
        scopes: pulumi.Input[list[str]] | None = None,
        description: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            {
                "account_name": account_name,
                "client_id": client_id,
                "client_secret": client_secret,
                "region": region,
                "scopes": scopes,
                "description": description,
                "base_url": base_url,
            },
            opts,
        )
