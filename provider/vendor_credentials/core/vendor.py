"""The base every vendor module subclasses: it supplies data, the base supplies behaviour.

A vendor class answers five questions (see ``../shared/design.md``): which inputs
(``inputs``), which hosts (``hosts``), which requests (``validate``), which identity (the
``Validation`` it returns) and which answers mean "fix your secret" (``rejected_statuses``,
``error_fields``, ``fix_hint``). Everything else (HTTP, retries, redaction, state) is core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from .errors import CredentialRejected, MalformedResponse
from .http import Reply, RetryAfter, Session
from .inputs import CredentialInputs

InputsT = TypeVar("InputsT", bound=CredentialInputs)


@dataclass(frozen=True)
class Validation:
    """What a successful exchange or probe proved, all of it non-secret."""

    identity: Mapping[str, str]
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None
    validated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def iso(moment: datetime | None) -> str:
    """UTC timestamp as stored in state ('' for none), second precision so diffs stay quiet."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def oauth_error_fields(body: Any) -> tuple[str, str]:
    """``error`` / ``error_description`` of an OAuth2 token endpoint answer."""
    if isinstance(body, dict):
        return str(body.get("error") or ""), str(body.get("error_description") or "")
    return "", ""


class Vendor(Generic[InputsT]):
    """One credential kind of one vendor. Subclasses only declare data and the request flow."""

    kind: ClassVar[str]  # stable key, e.g. "intercom.AccessToken"; stored in every __provider
    vendor: ClassVar[str]  # "intercom"
    title: ClassVar[str]  # "Intercom access token", for messages
    inputs: type[InputsT]
    hosts: ClassVar[Mapping[str, str]] = {}  # role -> default origin (may use {region}/{account})
    retry_after: ClassVar[RetryAfter] = RetryAfter()
    rejected_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 403})
    fix_hint: ClassVar[str] = "check the secret in stack config"

    # -- declared per vendor -------------------------------------------------------------------
    def validate(self, spec: InputsT, session: Session) -> Validation:
        """Do the exchange or probe; raise ``CredentialRejected`` when the vendor says no."""
        raise NotImplementedError

    def error_fields(self, body: Any) -> tuple[str, str]:
        """The vendor's error code and message from an error body (OAuth shape by default)."""
        return oauth_error_fields(body)

    # -- helpers for vendor modules ------------------------------------------------------------
    def origin(self, spec: InputsT, role: str, **values: str) -> str:
        """The origin to call for ``role``: ``base_url`` when given, else the vendor's host."""
        if spec.base_url:
            return spec.base_url
        return self.hosts[role].format(**values)

    def expect_json(
        self, reply: Reply, *, summary: str = "rejected the credential"
    ) -> dict[str, Any]:
        """The JSON object of a 2xx answer; a typed error for anything else."""
        if 200 <= reply.status < 300:
            body = reply.json()
            if not isinstance(body, dict):
                raise self.malformed(reply, "answered 2xx with a body that is not a JSON object")
            return body
        if reply.status in self.rejected_statuses:
            raise self.rejected(reply, summary)
        raise self.malformed(reply, "answered an unexpected status")

    def rejected(self, reply: Reply, summary: str) -> CredentialRejected:
        code, message = self.error_fields(reply.json())
        return CredentialRejected(
            vendor=self.vendor,
            endpoint=reply.endpoint,
            status=reply.status,
            summary=summary,
            code=reply.redactor.clip(code, 100),  # redact first: a cut never halves a secret
            detail=reply.redactor.clip(message, 300),
            hint=self.fix_hint,
            reference=_reference_of(reply),
        )

    def malformed(self, reply: Reply, summary: str) -> MalformedResponse:
        content_type = reply.redactor.clip(
            reply.headers.get("content-type", "unknown").split(";")[0], 80
        )
        return MalformedResponse(
            vendor=self.vendor,
            endpoint=reply.endpoint,
            status=reply.status,
            summary=f"{summary} (content-type {content_type}, {len(reply.body)} bytes)",
            hint="nothing was stored; if a proxy or gateway is in between, check it, "
            "otherwise retry later",
            reference=_reference_of(reply),
        )

    def require(self, reply: Reply, body: Mapping[str, Any], name: str) -> Any:
        """A field the answer must have; its absence is a malformed answer, never 'valid'."""
        value = body.get(name)
        if value is None or value == "":
            raise self.malformed(reply, f"answered without '{name}'")
        return value

    def expiry(self, reply: Reply, expires_in: Any) -> datetime:
        """``now + expires_in`` seconds, refusing values that are not a positive number."""
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise self.malformed(reply, "answered an 'expires_in' that is not a number")
        if not 0 < expires_in < 10 * 365 * 86400:
            raise self.malformed(reply, "answered an 'expires_in' out of range")
        return datetime.now(UTC) + timedelta(seconds=float(expires_in))


def _reference_of(reply: Reply) -> str:
    from .http import _reference

    return _reference(reply.headers, reply.redactor)
