"""The report as a terminal table, JSON (``schema_version`` 1) or markdown (pull-request comment).

Every renderer reads the same ``Report``, whose credentials carry no secret; fingerprints are
shown because comparing them is the point, and they reveal nothing about the secret.

JSON schema, version 1 (fields are only ever added within a version)::

    {
      "schema_version": 1,
      "tool": "vendor-credentials audit", "tool_version": "0.1.0",
      "project": "my-project",
      "mode": "state" | "live",
      "as_of": "2025-01-31T12:00:00Z",            # ages and expiries are measured from here
      "settings": {"prod_pattern": "prod", "max_age_seconds": 604800,
                   "expiry_window_seconds": 86400, "fail_on": "info"},
      "stacks": [{"name": "dev", "ref": "organization/my-project/dev", "production": false,
                  "last_refresh": "...Z" | null, "credential_count": 4}],
      "credentials": [{
        "name": "acme-eu", "kind": "acme.ApiToken",
        "stacks": {                                # one key per audited stack, in the given order
          "dev": null,                             # missing from that stack
          "prod": {
            "status": "valid" | "invalid", "status_reason": "",
            "identity": {"workspace_id": "...", ...},   # the resource's `identity` output
            "region": "eu", "scopes": [], "fingerprint": "fp2:a4b09a7c:0123456789abcdef",
            "validated_at": "...Z" | null,         # as stored (live: of the live validation)
            "checked_at": "...Z" | null,           # last time the vendor confirmed the status:
                                                   # validated_at, a later refresh, or live
            "expires_at": "...Z" | null,
            "expiry": "none" | "token" | "credential",  # token: short-lived token, not kept
            "source": "state" | "live",
            "stored_status": "valid" | "invalid" | null,  # live only: what state says
            "live_error": "" }}}],                 # live only: why the vendor gave no answer
      "findings": [{"severity": "error" | "warning" | "info", "code": "shared_secret",
                    "credential": "docs-publisher", "kind": "acme.DocsKey",
                    "stacks": ["dev", "prod"], "message": "one line"}],
      "summary": {"error": 1, "warning": 0, "info": 0, "total": 1},
      "notes": ["..."],
      "exit_code": 1
    }
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .findings import checked_at, expiry_meaning
from .model import (
    SCHEMA_VERSION,
    SEVERITIES,
    Credential,
    Report,
    Row,
    Stack,
    declared_fields,
    format_duration,
    iso,
)

FORMATS = ("table", "json", "markdown")

# How an identity is summarised in a cell: label, keys tried in order, optional key in brackets.
_IDENTITY_VIEW: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("workspace", ("workspace_name", "workspace_id"), "workspace_id"),
    ("account", ("account_name",), ""),
    ("company", ("company_name", "company_id"), ""),
    ("sites", ("subdomains",), ""),
    ("region", ("region",), ""),
    ("user", ("admin_email", "email", "user_id"), ""),
    ("api_access", ("api_access",), ""),
)


def render(report: Report, fmt: str) -> str:
    """The report in one of ``FORMATS``, ending with a newline."""
    if fmt == "json":
        return json.dumps(as_json(report), indent=2) + "\n"
    if fmt == "markdown":
        return markdown(report)
    return table(report)


# -- JSON ----------------------------------------------------------------------------------------
def as_json(report: Report) -> dict[str, Any]:
    """The report as the documented JSON object (see the module docstring)."""
    stacks = {s.name: s for s in report.stacks}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "vendor-credentials audit",
        "tool_version": _version(),
        "project": report.project,
        "mode": report.mode,
        "as_of": iso(report.as_of),
        "settings": {
            "prod_pattern": report.options.prod_pattern,
            "max_age_seconds": int(report.options.max_age.total_seconds()),
            "expiry_window_seconds": int(report.options.expiry_window.total_seconds()),
            "fail_on": report.options.fail_on,
        },
        "stacks": [
            {
                "name": s.name,
                "ref": s.ref,
                "production": report.production(s.name),
                "last_refresh": iso(s.last_refresh),
                "credential_count": len(s.credentials),
            }
            for s in report.stacks
        ],
        "credentials": [
            {
                "name": row.name,
                "kind": row.kind,
                "stacks": {
                    name: None if cred is None else _cell_json(row, cred, stacks[name])
                    for name, cred in row.cells.items()
                },
            }
            for row in report.rows
        ],
        "findings": [
            {
                "severity": f.severity,
                "code": f.code,
                "credential": f.credential,
                "kind": f.kind,
                "stacks": list(f.stacks),
                "message": f.message,
            }
            for f in report.findings
        ],
        "summary": {
            **{severity: report.count(severity) for severity in SEVERITIES},
            "total": len(report.findings),
        },
        "notes": list(report.notes),
        "exit_code": report.exit_code,
    }


def _cell_json(row: Row, cred: Credential, stack: Stack) -> dict[str, Any]:
    return {
        "status": cred.status,
        "status_reason": cred.status_reason,
        "identity": dict(cred.identity),
        "region": cred.region,
        "scopes": list(cred.scopes),
        "fingerprint": cred.fingerprint,
        "validated_at": iso(cred.validated_at),
        "checked_at": iso(checked_at(cred, stack)),
        "expires_at": iso(cred.expires_at),
        "expiry": expiry_meaning(row.kind, cred),
        "source": cred.source,
        "stored_status": cred.stored_status or None,
        "live_error": cred.live_error,
    }


def _version() -> str:
    from .. import __version__

    return __version__


# -- shared text ---------------------------------------------------------------------------------
def identity_summary(cred: Credential) -> str:
    """A short ``label=value`` view of the identity: workspace, account, region, user."""
    values = {**cred.identity, "region": cred.region}
    parts: list[str] = []
    shown: set[str] = set()
    for label, keys, bracket in _IDENTITY_VIEW:
        key = next((k for k in keys if values.get(k)), None)
        if key is None:
            continue
        shown |= {key, bracket}
        value = values[key]
        if bracket and key != bracket and values.get(bracket):
            value += f" ({values[bracket]})"
        parts.append(f"{label}={value}")
    _, tenant_fields = declared_fields(cred.kind)
    parts += [f"{k}={values[k]}" for k in tenant_fields if values.get(k) and k not in shown]
    if not parts:
        parts = [f"{k}={v}" for k, v in cred.identity.items() if v]
    return " ".join(parts) or "-"


def _status_text(cred: Credential) -> str:
    if cred.live_error:
        return f"{cred.status} (not checked)"
    if cred.source == "live" and cred.stored_status and cred.stored_status != cred.status:
        return f"{cred.status} (state: {cred.stored_status})"
    return cred.status


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _expires_text(row: Row, cred: Credential) -> str:
    text = _when(cred.expires_at)
    return f"{text} (token)" if expiry_meaning(row.kind, cred) == "token" else text


def _counts(report: Report) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("s" if n != 1 and word != "info" else "")

    return ", ".join(plural(report.count(s), s) for s in SEVERITIES)


def _mode_text(report: Report) -> str:
    if report.mode == "live":
        return "live: each credential validated against its vendor just now, state not written"
    return "from state: nothing decrypted, no vendor called"


def _production_text(report: Report) -> str:
    prod = [s.name for s in report.stacks if report.production(s.name)]
    return ", ".join(prod) if prod else "none"


def _token_legend(report: Report) -> bool:
    return any(
        c is not None and expiry_meaning(r.kind, c) == "token"
        for r in report.rows
        for c in r.cells.values()
    )


TOKEN_LEGEND = (
    "(token): expiry of the short-lived token obtained when the credential was validated; that "
    "token is not kept and the credential itself does not expire, so it is never a finding"
)


# -- table ---------------------------------------------------------------------------------------
def _widths(headers: Sequence[str], lines: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(r[i]) for r in [headers, *lines]) for i in range(len(headers))]


def _grid(
    headers: Sequence[str],
    lines: Sequence[Sequence[str]],
    widths: Sequence[int] | None = None,
    indent: str = "  ",
) -> list[str]:
    widths = widths or _widths(headers, lines)
    return [
        (indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True))).rstrip()
        for r in [headers, *lines]
    ]


def _credential_cells(row: Row, cred: Credential) -> tuple[str, ...]:
    """What the table and the markdown show of a stack's credential: status, identity,
    fingerprint, when it was validated and when it expires."""
    return (
        _status_text(cred),
        identity_summary(cred),
        cred.fingerprint or "-",
        _when(cred.validated_at),
        _expires_text(row, cred),
    )


def _table_lines(row: Row) -> list[tuple[str, ...]]:
    return [
        (stack, "MISSING", "", "", "", "")
        if cred is None
        else (stack, *_credential_cells(row, cred))
        for stack, cred in row.cells.items()
    ]


def table(report: Report) -> str:
    """Plain text for a terminal: one block per credential, one line per stack, then findings."""
    names = ", ".join(s.name for s in report.stacks)
    out = [
        f"Vendor credentials of project {report.project}: stacks {names} "
        f"(production: {_production_text(report)})",
        f"{_mode_text(report)}; as of {report.as_of:%Y-%m-%d %H:%M} UTC; stale after "
        f"{format_duration(report.options.max_age)}; expiry window "
        f"{format_duration(report.options.expiry_window)}",
        "Last successful refresh: "
        + ", ".join(
            f"{s.name} {_when(s.last_refresh) if s.last_refresh else 'never'}"
            for s in report.stacks
        )
        + " (UTC)",
    ]
    headers = ("stack", "status", "identity", "fingerprint", "validated (UTC)", "expires (UTC)")
    blocks = [(row, _table_lines(row)) for row in report.rows]
    widths = _widths(headers, [line for _, lines in blocks for line in lines])
    for row, lines in blocks:  # one block per credential, columns aligned across blocks
        out += ["", f"{row.name}  [{row.kind}]", *_grid(headers, lines, widths)]
    if not report.rows:
        out += ["", "No vendor credentials in these stacks."]
    if _token_legend(report):
        out += ["", TOKEN_LEGEND]
    out += [""]
    if report.findings:
        out.append(f"Findings ({_counts(report)}):")
        out += _grid(
            ("severity", "code", "explanation"),
            [(f.severity.upper(), f.code, f.message) for f in report.findings],
        )
    else:
        out.append("No findings: the stacks agree and every credential is proved and valid.")
    if report.notes:
        out += ["", "Notes:", *(f"  - {note}" for note in report.notes)]
    return "\n".join(out) + "\n"


# -- markdown ------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~!])")  # inline markup; a cell has no line start
_MENTION = re.compile(r"(?<![\w@])([@#])(?=\w)")  # @user, @org/team, #123: no pings or links
_AUTOLINK = re.compile(r"(?i)(://|www\.)")


def _md(text: str) -> str:
    """Vendor text (identity, reasons) made inert in a pull-request comment: one line, HTML
    escaped, markdown punctuation escaped, no mention, issue link or autolink, pipes kept in
    their cell."""
    text = _CONTROL.sub(" ", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MENTION.sub("\\1\u2060", text)  # a word joiner: shown as is, never a link
    text = _AUTOLINK.sub(lambda m: m.group(1)[:-1] + "\u2060" + m.group(1)[-1], text)
    return text or " "


def _code(text: str) -> str:
    """A code span (no markdown, HTML or links inside) for values without backticks."""
    clean = _CONTROL.sub(" ", text)
    if not clean or "`" in clean:
        return _md(text)
    return "`" + clean.replace("|", "\\|") + "`"


def markdown(report: Report) -> str:
    """For a pull-request comment: findings first, the credentials folded below."""
    names = ", ".join(_code(s.name) for s in report.stacks)
    out = [
        f"### Vendor credential audit: {names}",
        "",
        f"**{_counts(report)}** | project {_code(report.project)} | {_mode_text(report)} | "
        f"as of {report.as_of:%Y-%m-%d %H:%M} UTC | production: {_production_text(report)}",
        "",
    ]
    if report.findings:
        out += ["| severity | code | credential | stacks | explanation |", "|---|---|---|---|---|"]
        out += [
            f"| **{f.severity}** | `{f.code}` | {_md(f.credential)} | "
            f"{_md(', '.join(f.stacks))} | {_md(f.message)} |"
            for f in report.findings
        ]
    else:
        out.append("No findings: the stacks agree and every credential is proved and valid.")
    if report.notes:
        out += ["", *(f"> {_md(note)}" for note in report.notes)]
    out += [
        "",
        "<details><summary>Credentials per stack</summary>",
        "",
        "| credential | kind | stack | status | identity | fingerprint | validated (UTC) "
        "| expires (UTC) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report.rows:
        for stack, cred in row.cells.items():
            shown = _credential_cells(row, cred) if cred else ("**missing**", "", "", "", "")
            cells = [row.name, row.kind, stack, *shown]
            out.append(
                "| "
                + " | ".join(
                    _code(c) if i in (1, 5) and c not in ("", "-") else _md(c)
                    for i, c in enumerate(cells)
                )
                + " |"
            )
    if _token_legend(report):
        out += ["", TOKEN_LEGEND]
    out += ["", "</details>", ""]
    return "\n".join(out)
