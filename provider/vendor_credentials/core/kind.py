"""The class that describes one credential kind: vendor modules declare data, it supplies behaviour.

Everything the package needs to know about a kind is a ClassVar here, next to the data: its
stable ``kind`` string, inputs (secret and replace-on-change fields are marked on the fields, see
``core/inputs.py``), hosts, retry-after and error conventions, the audit's expiry rule
(``exchanges_token``), which identity fields name its tenant and region, its documentation, and
``samples``: the credentials the emulator seeds and the tests drive through the engine. The
registry, resource classes, audit, demo and tests discover kinds from these declarations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from .errors import CredentialRejected, MalformedResponse
from .http import Reply, RetryAfter, Session, reference_of
from .inputs import CredentialInputs


@dataclass(frozen=True)
class Validation:
    """What a successful exchange or probe proved, all of it non-secret."""

    identity: Mapping[str, str]
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None
    validated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    carried: Mapping[str, str] = field(default_factory=dict)  # see Carried (secret outputs)


@dataclass(frozen=True)
class Carried:
    """An output a kind carries from one operation to the next (``core/carry.py``). ``secret``:
    kept encrypted in state (``additional_secret_outputs``, the native schema), registered with
    the redactor before any use, searched for by the leak suites, never shown by the audit."""

    name: str
    description: str
    secret: bool = True


@dataclass(frozen=True)
class Sample:
    """A credential the emulator seeds and the tests use, with what its vendor reports about it.

    String inputs may contain ``{base_url}``: the tests and the demo put the emulator's URL there
    (kinds with a ``base_url`` input get it set to the emulator without saying so).
    """

    name: str  # the emulator's label for it (``revoke``/``rotate`` take it)
    inputs: Mapping[str, Any]  # valid inputs, secrets included
    identity: Mapping[str, str] = field(default_factory=dict)  # what the proof must report
    vendor_data: Mapping[str, Any] = field(default_factory=dict)  # what only the vendor knows
    replace: Mapping[str, Any] = field(default_factory=dict)  # inputs naming another credential

    def inputs_at(self, base_url: str) -> dict[str, Any]:
        """The inputs with ``{base_url}`` replaced by the emulator's URL, wherever it appears."""
        return dict(json.loads(json.dumps(dict(self.inputs)).replace("{base_url}", base_url)))


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


def common_error_fields(body: Any) -> tuple[str, str]:
    """Code and message of the usual error shapes: OAuth's ``error``/``error_description``,
    ``{"code", "message"}``, and either one nested under ``"error"``."""
    inner = body.get("error") if isinstance(body, dict) else None
    body = inner if isinstance(inner, dict) else body
    if not isinstance(body, dict):
        return "", ""
    code = next((v for k in ("error", "code") if isinstance(v := body.get(k), str | int)), "")
    message = next(
        (v for k in ("error_description", "message") if isinstance(v := body.get(k), str)), ""
    )
    return str(code), message


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL ('' when it has none)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class CredentialKind:
    """One credential kind of one vendor. Subclasses declare data and ``validate``."""

    kind: ClassVar[str]  # stable key, e.g. "acme.ApiToken": in every __provider and in state
    vendor: ClassVar[str]  # "acme", the module's name
    title: ClassVar[str]  # "Acme API token", for messages
    type_name: ClassVar[str]  # the resource type token's name, e.g. "AcmeApiToken"
    inputs: ClassVar[type[CredentialInputs]]
    documentation: ClassVar[str] = ""  # the resource class's docstring
    # Hosts by role: "{field}" is an input's value; "role.<region>" is used when the inputs'
    # region is <region>. ``base_url``, when given, replaces every host.
    hosts: ClassVar[Mapping[str, str]] = {}
    # Inputs naming a URL the user chose rather than a declared host (``base_url``, a generic
    # kind's ``probe_url``): a preview and the live audit send secrets there only when trusted.
    url_fields: ClassVar[tuple[str, ...]] = ("base_url",)
    retry_after: ClassVar[RetryAfter] = RetryAfter()
    rejected_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 403})
    # Error codes (``error_fields``) that make any 4xx a rejection: OAuth's ``invalid_client``...
    rejected_errors: ClassVar[frozenset[str]] = frozenset()
    fix_hint: ClassVar[str] = "check the secret in stack config"
    # The stored secret is exchanged for a short-lived token (not kept, or carried until it is
    # renewed, see ``carried``): ``expires_at`` is that token's, and the audit does not report it
    # as the credential's expiry.
    exchanges_token: ClassVar[bool] = False
    # False when proving may rotate what it presents (``core/carry.py``): a preview cannot save the
    # result, so ``check`` and preview validation never call the vendor for this kind.
    validates_in_preview: ClassVar[bool] = True
    # Outputs carried between operations (a rotating refresh token): see ``core/carry.py``.
    carried: ClassVar[tuple[Carried, ...]] = ()
    tenant_fields: ClassVar[tuple[str, ...]] = ()  # identity keys naming the account/workspace
    region_field: ClassVar[str] = ""  # identity key naming the region, if the kind has regions
    samples: ClassVar[tuple[Sample, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__ and not cls.kind.startswith(f"{cls.vendor}."):
            raise TypeError(f"{cls.__name__}: kind {cls.kind!r} must start with '{cls.vendor}.'")
        for sample in cls.__dict__.get("samples", ()):
            unknown = set(sample.inputs) - set(cls.inputs.model_fields)
            if unknown:
                raise TypeError(f"{cls.__name__} sample {sample.name}: no inputs {unknown}")

    # -- declared per kind ---------------------------------------------------------------------
    def validate(self, spec: Any, session: Session) -> Validation:
        """Do the exchange or probe; raise ``CredentialRejected`` when the vendor says no."""
        raise NotImplementedError

    @property
    def carried_secrets(self) -> tuple[str, ...]:
        """Names of the carried outputs that are secret."""
        return tuple(c.name for c in self.carried if c.secret)

    def error_fields(self, body: Any) -> tuple[str, str]:
        """The vendor's error code and message from an error body (OAuth shape by default)."""
        return oauth_error_fields(body)

    # -- where requests go ---------------------------------------------------------------------
    def origin(self, spec: Any, role: str) -> str:
        """The origin to call for ``role``: ``base_url`` when given, else the declared host."""
        if getattr(spec, "base_url", None):
            return str(spec.base_url)
        region = getattr(spec, "region", None)
        template = self.hosts.get(f"{role}.{region}") or self.hosts[role]
        return template.format(**spec.model_dump())

    def origins(self, spec: Any) -> set[str]:
        """Every origin these inputs may send a request to (hostile-input tests check this)."""
        roles = {name.partition(".")[0] for name in self.hosts}
        return {self.origin(spec, role) for role in roles} | self.chosen_origins(spec)

    def chosen_origins(self, spec: Any) -> set[str]:
        """The origins of the ``url_fields`` these inputs set (none: only declared hosts)."""
        values = (getattr(spec, name, None) for name in self.url_fields)
        return {origin_of(str(value)) for value in values if value}

    # -- answers -------------------------------------------------------------------------------
    def expect_json(
        self, reply: Reply, *, summary: str = "rejected the credential"
    ) -> dict[str, Any]:
        """The JSON object of a 2xx answer; a typed error for anything else."""
        if 200 <= reply.status < 300:
            body = reply.json()
            if not isinstance(body, dict):
                raise self.malformed(reply, "answered 2xx with a body that is not a JSON object")
            return body
        if reply.status in self.rejected_statuses or (
            400 <= reply.status < 500 and self.error_fields(reply.json())[0] in self.rejected_errors
        ):
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
            reference=reference_of(reply.headers, reply.redactor),
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
            reference=reference_of(reply.headers, reply.redactor),
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

    def mismatch(
        self, reply: Reply, *, field: str, what: str, actual: str, declared: str
    ) -> CredentialRejected:
        """The credential works but belongs to another region/account than the inputs say."""
        return CredentialRejected(
            vendor=self.vendor,
            endpoint=reply.endpoint,
            status=reply.status,
            summary=f"the credential belongs to {what}",
            code=f"{field.removesuffix('_name')}_mismatch",
            field=field,
            detail=f"the vendor says {field} is '{actual}', the resource says '{declared}'",
            hint=f"set the {field} input to '{actual}'",
        )
