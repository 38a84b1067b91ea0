"""Zendesk API token: ``GET https://{subdomain}.zendesk.com/api/v2/users/me.json`` with HTTP Basic
``{email}/token:{api_token}``.

The trap: that endpoint is allowed for anonymous users, so credentials Zendesk did not accept can
come back as ``200`` with an anonymous user (no ``id``, role ``end-user``) instead of ``401``. A
user without an ``id`` is never valid. Bad credentials otherwise answer
``401 {"error": "Couldn't authenticate you"}``; a rate limit is ``429`` with ``Retry-After``
seconds.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator

from .core import flows
from .core.errors import CredentialRejected
from .core.http import RetryAfter, Session
from .core.inputs import REPLACES, BasicUser, CredentialInputs, DnsLabel, Secret
from .core.kind import CredentialKind, Sample, Validation
from .core.resource import credential_resource


def _email(value: str) -> str:
    if value.count("@") != 1 or value.endswith("/token"):
        raise ValueError("must be the agent's email address, like admin@acme.example (no /token)")
    return value


class ApiTokenInputs(CredentialInputs):
    subdomain: Annotated[DnsLabel, REPLACES]
    email: Annotated[BasicUser, AfterValidator(_email), REPLACES]
    api_token: Secret


class ApiTokenKind(CredentialKind):
    kind = "zendesk.ApiToken"
    vendor = "zendesk"
    title = "Zendesk API token"
    type_name = "ZendeskApiToken"
    inputs = ApiTokenInputs
    documentation = """A Zendesk API token used as an agent (``email``) of one account
    (``subdomain``), probed with ``GET /api/v2/users/me.json``.

    Outputs ``identity``: user_id, email, role, subdomain. A ``200`` describing the anonymous user
    is a rejection, never valid. API tokens do not expire, so ``expires_at`` is empty.
    """
    hosts: ClassVar[dict[str, str]] = {"api": "https://{subdomain}.zendesk.com"}
    retry_after = RetryAfter("Retry-After")  # seconds, on 429
    rejected_statuses = frozenset({401, 403})
    fix_hint = (
        "check the API token (Admin Center > Apps and integrations > APIs > Zendesk API, token "
        "access enabled), that `email` is an agent of that account, and the subdomain; store the "
        "token with `pulumi config set --secret`"
    )
    tenant_fields = ("subdomain",)
    samples = (
        Sample(
            name="zendesk",
            inputs={
                "subdomain": "acme-demo",
                "email": "admin@acme-demo.example",
                "api_token": "QeRb7Nn2xK4Lw9Tz1Vc6Yh3Pm8Js5Df0GaUoIk2E",
            },
            identity={
                "user_id": "36200871231",
                "email": "admin@acme-demo.example",
                "role": "admin",
                "subdomain": "acme-demo",
            },
            vendor_data={"name": "Ada Admin", "aliases": ["support@acme-demo.example"]},
            replace={"subdomain": "acme-other"},
        ),
    )

    def error_fields(self, body: Any) -> tuple[str, str]:
        """``{"error": "Couldn't authenticate you"}``, ``{"error", "description"}`` or
        ``{"error": {"title", "message"}}``."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return str(error.get("title") or ""), str(error.get("message") or "")
        if isinstance(error, str) and isinstance(body.get("description"), str):
            return error, body["description"]
        return ("", error) if isinstance(error, str) else ("", "")

    def validate(self, spec: ApiTokenInputs, session: Session) -> Validation:
        url = self.origin(spec, "api") + "/api/v2/users/me.json"
        auth = flows.Basic(f"{spec.email}/token", spec.api_token)
        reply, body = flows.probe(self, session, url, auth, summary="rejected the API token")
        user = body.get("user")
        if not isinstance(user, dict):
            raise self.malformed(reply, "answered without a 'user' object")
        if user.get("id") is None:  # Zendesk's answer to credentials it did not accept
            raise CredentialRejected(
                vendor=self.vendor,
                endpoint=reply.endpoint,
                status=reply.status,
                summary="did not accept the email/token pair",
                code="anonymous_user",
                detail="the answer describes the anonymous user (no id), not an agent",
                hint=self.fix_hint,
            )
        identity = flows.identity_from(
            self, reply, user, {"user_id": "/id", "email": "/email", "role": "/role"}
        )
        if identity["email"].lower() != spec.email.lower():
            raise self.mismatch(
                reply,
                field="email",
                what="another user",
                actual=identity["email"],
                declared=spec.email,
            )
        return Validation(identity={**identity, "subdomain": spec.subdomain})


ApiToken = credential_resource(ApiTokenKind)
