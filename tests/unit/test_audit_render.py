"""The three report formats, from a hand-made report."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from vendor_credentials.audit.findings import find, notes, rows
from vendor_credentials.audit.model import Credential, Options, Report, Stack
from vendor_credentials.audit.render import as_json, markdown, render, table

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TALKDESK = Credential(
    name="talkdesk-reporting",
    kind="talkdesk.ClientCredential",
    status="valid",
    identity={"account_name": "acme", "client_id": "c1", "scopes": "account:read"},
    region="us",
    scopes=("account:read",),
    fingerprint="fp1:1111111111111111",
    validated_at=NOW - timedelta(hours=1),
    expires_at=NOW - timedelta(minutes=50),
)


def make_report(*stacks: Stack) -> Report:
    options = Options()
    return Report(
        "app",
        "state",
        NOW,
        options,
        stacks,
        tuple(rows(stacks)),
        tuple(find(stacks, options, NOW)),
        tuple(notes(stacks, options)),
    )


def drifted() -> Report:
    legacy = replace(TALKDESK, name="legacy|pipe", fingerprint="fp1:2222222222222222")
    prod = replace(TALKDESK, fingerprint="fp1:3333333333333333")
    return make_report(
        Stack("dev", "organization/app/dev", (TALKDESK, legacy)),
        Stack("prod", "organization/app/prod", (prod,)),
    )


def test_json_carries_the_schema_version_and_documented_sections() -> None:
    data = as_json(drifted())
    assert data["schema_version"] == 1
    assert list(data) == [
        "schema_version",
        "tool",
        "tool_version",
        "project",
        "mode",
        "as_of",
        "settings",
        "stacks",
        "credentials",
        "findings",
        "summary",
        "notes",
        "exit_code",
    ]


def test_json_cell_of_a_missing_credential_is_null() -> None:
    data = as_json(drifted())
    legacy = next(c for c in data["credentials"] if c["name"] == "legacy|pipe")
    assert legacy["stacks"]["prod"] is None
    assert legacy["stacks"]["dev"]["status"] == "valid"


def test_json_marks_an_exchanged_tokens_expiry_as_token() -> None:
    data = as_json(drifted())
    cell = data["credentials"][1]["stacks"]["dev"]
    assert cell["expiry"] == "token"
    assert cell["expires_at"] == "2025-06-01T11:10:00Z"


def test_json_summary_counts_findings_and_gives_the_exit_code() -> None:
    data = json.loads(render(drifted(), "json"))
    assert data["summary"] == {"error": 0, "warning": 1, "info": 0, "total": 1}
    assert data["exit_code"] == 1


def test_markdown_escapes_pipes_so_the_table_holds() -> None:
    text = markdown(drifted())
    assert "legacy\\|pipe" in text
    finding_lines = [line for line in text.splitlines() if line.startswith("| **warning**")]
    assert len(finding_lines) == 1


def test_table_shows_a_missing_credential_in_its_stack_line() -> None:
    lines = table(drifted()).splitlines()
    start = lines.index("legacy|pipe  [talkdesk.ClientCredential]")
    assert lines[start + 3].split() == ["prod", "MISSING"]


def test_table_says_so_when_there_are_no_findings() -> None:
    report = make_report(
        Stack("dev", "organization/app/dev", (TALKDESK,)),
        Stack("prod", "organization/app/prod", (replace(TALKDESK, fingerprint="fp1:9"),)),
    )
    assert "No findings" in table(report)


def test_vendor_text_cannot_inject_markup_into_a_pull_request_comment() -> None:
    """Identity and reasons come from vendors (or from whoever answers at a base_url)."""
    hostile = (
        "x | injected | cell\n## Heading <img src=x onerror=alert(1)></details> "
        "[click](https://evil.example) ![i](https://evil.example/p.png) `code` **bold** "
        "@octocat @org/team #123 www.evil.example \x1b[31m"
    )
    cred = replace(
        TALKDESK,
        status="invalid",
        status_reason=hostile,
        identity={"account_name": hostile, "client_id": "c1", "scopes": ""},
    )
    text = markdown(make_report(Stack("dev", "organization/app/dev", (cred,))))
    body = "\n".join(line for line in text.splitlines() if "evil" in line)
    assert body, text
    for line in body.splitlines():  # every row keeps its table's cells: 5 findings, 8 rows
        assert len(re.findall(r"(?<!\\)\|", line)) in (6, 9), line
    for raw in ("<img", "](https://", "![", "\n## ", "\x1b", "@octocat", "#123"):
        assert raw not in text, raw
    assert text.count("</details>") == 1  # only the report's own
    assert "https://evil" not in text and "www.evil" not in text  # no autolink
    assert "\\`code\\`" in body and "\\*\\*bold\\*\\*" in body
