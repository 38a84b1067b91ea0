"""What an audit reads and reports: plain data and small parsers, no I/O, stdlib only.

A ``Credential`` holds only what is safe to show: the non-secret outputs our resources keep in
plain text (status, identity, fingerprint, times). Secret inputs never enter these types, in
either mode, so no renderer can print one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SCHEMA_VERSION = 1
SEVERITIES = ("error", "warning", "info")  # most severe first
DEFAULT_PROD_PATTERN = "prod"
DEFAULT_MAX_AGE = timedelta(days=7)
DEFAULT_EXPIRY_WINDOW = timedelta(hours=24)
HIDDEN = "[secret]"  # shown for an output that state keeps encrypted (never decrypted for display)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)([smhdw])")


@dataclass(frozen=True)
class Credential:
    """One credential resource of one stack, as far as the audit may see it."""

    name: str  # resource name; "component/name" when nested in a component
    kind: str  # registry kind, e.g. "acme.ApiToken"
    status: str  # "valid" or "invalid" (a newer provider may add others)
    status_reason: str = ""
    identity: Mapping[str, str] = field(default_factory=dict)
    region: str = ""
    scopes: tuple[str, ...] = ()
    fingerprint: str = ""
    validated_at: datetime | None = None
    expires_at: datetime | None = None
    urn: str = ""
    source: str = "state"  # "state", or "live" once the vendor was asked again
    stored_status: str = ""  # live only: the status state holds
    checked_at: datetime | None = None  # live only: when the vendor was asked
    live_error: str = ""  # live only: why the vendor could not answer (redacted)


@dataclass(frozen=True)
class Stack:
    """One stack's credentials and the last time a refresh proved all of them."""

    name: str  # as given on the command line
    ref: str  # fully qualified (organization/project/stack)
    credentials: tuple[Credential, ...] = ()
    last_refresh: datetime | None = None  # end of the newest successful, untargeted refresh


@dataclass(frozen=True)
class Options:
    """Thresholds of the findings (see ``vendor-credentials audit --help``)."""

    prod_pattern: str = DEFAULT_PROD_PATTERN
    max_age: timedelta = DEFAULT_MAX_AGE
    expiry_window: timedelta = DEFAULT_EXPIRY_WINDOW
    fail_on: str = "info"  # the least severe finding that makes the exit code 1


@dataclass(frozen=True)
class Finding:
    """One problem, explained in one line."""

    severity: str  # one of SEVERITIES
    code: str  # stable identifier, e.g. "shared_secret"
    credential: str  # resource name(s) concerned
    kind: str
    stacks: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Row:
    """One logical credential (resource name and kind) across the audited stacks."""

    name: str
    kind: str
    cells: Mapping[str, Credential | None]  # stack name -> credential, None when missing


@dataclass(frozen=True)
class Report:
    """Everything a renderer needs; built by ``vendor_credentials.audit.audit``."""

    project: str
    mode: str  # "state" or "live"
    as_of: datetime
    options: Options
    stacks: tuple[Stack, ...]
    rows: tuple[Row, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    def production(self, stack: str) -> bool:
        return is_production(stack, self.options.prod_pattern)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def exit_code(self) -> int:
        """1 when a finding at least as severe as ``options.fail_on`` exists, else 0."""
        limit = SEVERITIES.index(self.options.fail_on)
        return 1 if any(SEVERITIES.index(f.severity) <= limit for f in self.findings) else 0


def is_production(stack: str, pattern: str) -> bool:
    """Whether a stack counts as production: its name matches ``pattern`` (case-insensitive)."""
    return re.search(pattern, stack.rsplit("/", 1)[-1], re.IGNORECASE) is not None


def parse_duration(text: str) -> timedelta:
    """``7d``, ``24h``, ``90m``, ``1d12h``, ``2w`` (or plain seconds) as a timedelta."""
    text = text.strip().lower()
    if text.isdigit():
        return timedelta(seconds=int(text))
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"'{text}' is not a duration: use e.g. 30m, 24h, 7d, 2w or 1d12h")
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def format_duration(delta: timedelta) -> str:
    """A short human form: the two largest units, e.g. ``7d``, ``1d 12h``, ``9m``."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    pieces: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            pieces.append(f"{seconds // size}{unit}")
            seconds %= size
        if len(pieces) == 2:
            break
    return " ".join(pieces)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from state (``2025-01-01T00:00:00Z``) in UTC; None for '' or garbage."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """UTC, second precision, ``Z`` suffix; None stays None (JSON null)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def declared_fields(kind: str) -> tuple[str, tuple[str, ...]]:
    """The identity keys a kind declares for its region and its tenant (account, workspace):
    ``("region", ())`` for a kind this version does not know."""
    from ..core.registry import kind_for

    try:
        declaration = kind_for(kind)
    except KeyError:
        return "region", ()
    return declaration.region_field, declaration.tenant_fields


def region_of(kind: str, identity: dict[str, str], stored: str = "") -> str:
    """The region a credential's identity names, per its kind's declaration."""
    field, _ = declared_fields(kind)
    return (identity.get(field) if field else "") or stored
