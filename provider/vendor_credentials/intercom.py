"""Intercom access token: no exchange, one probe of ``GET /me`` on the workspace's regional host."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pulumi

from .core.errors import CredentialRejected
from .core.http import RetryAfter, Session
from .core.inputs import CredentialInputs, Secret
from .core.resource import TYPE_MODULE, CredentialResource
from .core.vendor import Validation, Vendor

API_VERSION = "2.11"  # pinned so response shapes do not move under us


class AccessTokenInputs(CredentialInputs):
    secret_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    replace_fields: ClassVar[tuple[str, ...]] = ("region",)

    access_token: Secret
    region: Literal["us", "eu", "au"] = "us"


class AccessTokenVendor(Vendor[AccessTokenInputs]):
    kind = "intercom.AccessToken"
    vendor = "intercom"
    title = "Intercom access token"
    inputs = AccessTokenInputs
    hosts: ClassVar[dict[str, str]] = {
        "us": "https://api.intercom.io",
        "eu": "https://api.eu.intercom.io",
        "au": "https://api.au.intercom.io",
    }
    retry_after = RetryAfter("X-RateLimit-Reset", epoch=True)
    fix_hint = (
        "create or copy the app's access token in Intercom's Developer Hub and store it with "
        "`pulumi config set --secret`; check that `region` matches the workspace"
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code") or ""), str(errors[0].get("message") or "")
        return "", ""

    def validate(self, spec: AccessTokenInputs, session: Session) -> Validation:
        url = self.origin(spec, spec.region) + "/me"
        reply = session.request(
            "GET",
            url,
            endpoint=f"GET {url}",
            headers={
                "Authorization": f"Bearer {spec.access_token}",
                "Accept": "application/json",
                "Intercom-Version": API_VERSION,
            },
        )
        admin = self.expect_json(reply, summary="rejected the access token")
        app = admin.get("app")
        if not isinstance(app, dict):
            raise self.malformed(reply, "answered /me without the 'app' object")
        region = str(app.get("region") or "").lower()
        if region and region != spec.region:
            raise CredentialRejected(
                vendor=self.vendor,
                endpoint=reply.endpoint,
                status=reply.status,
                summary="the token belongs to a workspace in another region",
                code="region_mismatch",
                field="region",
                detail=f"workspace region is {region}, the resource says {spec.region}",
                hint=f"set region='{region}' (the regional host is the right one)",
            )
        return Validation(
            identity={
                "workspace_id": str(self.require(reply, app, "id_code")),
                "workspace_name": str(app.get("name") or ""),
                "region": region or spec.region,
                "admin_id": str(self.require(reply, admin, "id")),
                "admin_email": str(admin.get("email") or ""),
            }
        )


class AccessToken(CredentialResource, module=TYPE_MODULE, name="IntercomAccessToken"):
    """An Intercom access token, probed with ``GET /me`` on the workspace's regional host.

    Outputs ``identity``: workspace_id (the app's ``id_code``), workspace_name, region, admin_id,
    admin_email. Intercom tokens do not expire, so ``expires_at`` is empty.
    """

    kind_name = AccessTokenVendor.kind

    def __init__(
        self,
        resource_name: str,
        *,
        access_token: pulumi.Input[str],
        region: pulumi.Input[str] = "us",
        description: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            resource_name,
            {
                "access_token": access_token,
                "region": region,
                "description": description,
                "base_url": base_url,
            },
            opts,
        )
