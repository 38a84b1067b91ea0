"""Talkdesk OAuth2 client credentials: ``POST https://{account}.talkdeskid.com/oauth/token``.

Client authentication is HTTP Basic on the token request only; later API calls use
``Authorization: Bearer`` (one of our source documents says Basic; the vendor's own docs and real
clients use Bearer). Identity comes from the JWT's claims (decoded for display, not verified),
and from ``GET /account`` when the token has ``account:read``. Tokens live 10 minutes and are not
kept.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from .core import flows
from .core.http import RetryAfter, Session
from .core.inputs import REPLACES, CredentialInputs, DnsLabel, Identifier, Scopes, Secret
from .core.kind import CredentialKind, Sample, Validation
from .core.resource import credential_resource


class ClientCredentialInputs(CredentialInputs):
    account_name: Annotated[DnsLabel, REPLACES]
    client_id: Annotated[Identifier, REPLACES]
    client_secret: Secret
    region: Annotated[Literal["us", "eu", "ca"], REPLACES] = "us"
    scopes: Scopes | None = None


class ClientCredentialKind(CredentialKind):
    kind = "talkdesk.ClientCredential"
    vendor = "talkdesk"
    title = "Talkdesk OAuth client"
    type_name = "TalkdeskClientCredential"
    inputs = ClientCredentialInputs
    documentation = """A Talkdesk OAuth client (client credentials grant) on one account.

    Outputs ``identity``: account_name, account_id, client_id, scopes (and company_name when the
    client has ``account:read``). ``expires_at`` is the 10-minute token's expiry; the token is not
    kept. ``scopes`` lists what the vendor granted.
    """
    hosts: ClassVar[dict[str, str]] = {
        "id.us": "https://{account_name}.talkdeskid.com",
        "id.eu": "https://{account_name}.talkdeskid.eu",
        "id.ca": "https://{account_name}.talkdeskidca.com",
        "api.us": "https://api.talkdeskapp.com",
        "api.eu": "https://api.talkdeskapp.eu",
        "api.ca": "https://api.talkdeskappca.com",
    }
    retry_after = RetryAfter("Retry-After")
    fix_hint = (
        "check the client id and secret of the OAuth client (Admin > OAuth Clients in Talkdesk), "
        "its granted scopes, and the account name; store the secret with "
        "`pulumi config set --secret`"
    )
    exchanges_token = True
    tenant_fields = ("account_name", "account_id")
    samples = (
        Sample(
            name="talkdesk",
            inputs={
                "account_name": "acme-demo",
                "client_id": "2c7d28a3130cc685a9f440d5dc07f8c4",
                "client_secret": "4DAHG4ADXHJpORkCMsL6KprqBxt3M8zOYaXV0eJI",
            },
            identity={
                "account_name": "acme-demo",
                "account_id": "b68b8289ca922ec5ab49279d",
                "client_id": "2c7d28a3130cc685a9f440d5dc07f8c4",
                "scopes": "account:read users:read",
                "company_name": "Acme Demo Inc.",
            },
            vendor_data={"timezone": "Europe/Lisbon"},
            replace={"client_id": "another-client-id"},
        ),
    )

    def validate(self, spec: ClientCredentialInputs, session: Session) -> Validation:
        token = flows.client_credentials(
            self,
            session,
            self.origin(spec, "id") + "/oauth/token",
            client_id=spec.client_id,
            client_secret=spec.client_secret,
            scopes=spec.scopes,
            client_auth="basic",
        )
        claims = flows.jwt_claims(token.access_token)
        scopes = token.scopes if token.scopes is not None else flows.claimed_scopes(claims)
        account = str(claims.get("acc") or "")
        if account and account != spec.account_name:
            raise self.mismatch(
                token.reply,
                field="account_name",
                what="another account",
                actual=account,
                declared=spec.account_name,
            )
        identity = {
            "account_name": account or spec.account_name,
            "account_id": str(claims.get("aid") or ""),
            "client_id": str(claims.get("cid") or claims.get("sub") or spec.client_id),
            "scopes": " ".join(scopes),
        }
        if "account:read" in scopes:
            url = self.origin(spec, "api") + "/account"
            reply, body = flows.probe(
                self,
                session,
                url,
                flows.Bearer(token.access_token),
                summary="rejected the token it had just issued",
            )
            for name, pointer in (("account_id", "/id"), ("company_name", "/company_name")):
                identity[name] = flows.field_text(self, reply, body, pointer, required=False)
        return Validation(identity=identity, scopes=scopes, expires_at=token.expires_at)


ClientCredential = credential_resource(ClientCredentialKind)
