"""Intercom access token: no exchange, one probe of ``GET /me`` on the workspace's regional host."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from .core import flows
from .core.http import RetryAfter, Session
from .core.inputs import REPLACES, CredentialInputs, Secret
from .core.kind import CredentialKind, Sample, Validation
from .core.resource import credential_resource

API_VERSION = "2.11"  # pinned so response shapes do not move under us


class AccessTokenInputs(CredentialInputs):
    access_token: Secret
    region: Annotated[Literal["us", "eu", "au"], REPLACES] = "us"


class AccessTokenKind(CredentialKind):
    kind = "intercom.AccessToken"
    vendor = "intercom"
    title = "Intercom access token"
    type_name = "IntercomAccessToken"
    inputs = AccessTokenInputs
    documentation = """An Intercom access token, probed with ``GET /me`` on the workspace's
    regional host.

    Outputs ``identity``: workspace_id (the app's ``id_code``), workspace_name, region, admin_id,
    admin_email. Intercom tokens do not expire, so ``expires_at`` is empty.
    """
    hosts: ClassVar[dict[str, str]] = {
        "api.us": "https://api.intercom.io",
        "api.eu": "https://api.eu.intercom.io",
        "api.au": "https://api.au.intercom.io",
    }
    retry_after = RetryAfter("X-RateLimit-Reset", epoch=True)
    fix_hint = (
        "create or copy the app's access token in Intercom's Developer Hub and store it with "
        "`pulumi config set --secret`; check that `region` matches the workspace"
    )
    tenant_fields = ("workspace_name", "workspace_id")
    region_field = "region"
    samples = tuple(  # the first (EU) is the one the engine tests drive
        Sample(
            name=f"intercom_{region}",
            inputs={"access_token": token, "region": region},
            identity={
                "workspace_id": id_code,
                "workspace_name": f"Acme Demo {region.upper()}",
                "region": region,
                "admin_id": admin_id,
                "admin_email": "admin@acme-demo.example",
            },
            vendor_data={"timezone": timezone},
            replace={"region": "au" if region != "au" else "us"},
        )
        for region, token, id_code, admin_id, timezone in (
            (
                "eu",
                "dG9rOjQHFzoFpJoLMBOc1dofdjflQ9BWFbPZpYWYSVNvTmaJe8cmN2SwuQmj=",
                "lllbvdg8",
                "4000002",
                "Europe/Dublin",
            ),
            (
                "us",
                "dG9rOj9EBFtnKHCcyytvqmjz4bacxpWPAGjDO2yctafSC3WM5YEEiMTDCA0J=",
                "iibwflap",
                "4000001",
                "America/New_York",
            ),
            (
                "au",
                "dG9rOjexYvZI9JVUCGJIL5Rf1HQbS33gErYF7tuTOJAfc03claYI2YfwRfHl=",
                "xkiobrnk",
                "4000003",
                "Australia/Sydney",
            ),
        )
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code") or ""), str(errors[0].get("message") or "")
        return "", ""

    def validate(self, spec: AccessTokenInputs, session: Session) -> Validation:
        reply, admin = flows.probe(
            self,
            session,
            self.origin(spec, "api") + "/me",
            flows.Bearer(spec.access_token),
            headers={"Intercom-Version": API_VERSION},
            summary="rejected the access token",
        )
        region = flows.field_text(self, reply, admin, "/app/region", required=False).lower()
        if region and region != spec.region:
            raise self.mismatch(
                reply,
                field="region",
                what="a workspace in another region",
                actual=region,
                declared=spec.region,
            )
        identity = flows.identity_from(
            self, reply, admin, {"workspace_id": "/app/id_code", "admin_id": "/id"}
        )
        return Validation(
            identity={
                **identity,
                "workspace_name": flows.field_text(self, reply, admin, "/app/name", required=False),
                "region": region or spec.region,
                "admin_email": flows.field_text(self, reply, admin, "/email", required=False),
            }
        )


AccessToken = credential_resource(AccessTokenKind)
