"""Help Scout Docs API key: no exchange; ``GET /v1/sites`` with HTTP Basic (key as user name,
``X`` as password)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..core import flows
from ..core.http import RetryAfter, Session
from ..core.inputs import CredentialInputs, Secret
from ..core.kind import CredentialKind, Sample, Validation
from ..core.resource import credential_resource


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


DocsApiKey = credential_resource(DocsApiKeyKind)
