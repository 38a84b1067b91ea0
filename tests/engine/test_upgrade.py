"""State written by an earlier version refreshes and destroys with the current code.

Each committed ``tests/fixtures/state-<version>.json`` (made by ``make_state_fixture.py`` with that
version) is imported into a fresh stack, pointed at this run's emulator, refreshed and destroyed.
``state-0.1.0.json`` has ``fp1`` fingerprints among the outputs only; ``state-0.1.0-bfd33ca.json``
(the same script at commit bfd33ca, the last ``fp1`` version) among the inputs too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest

from support.cases import CASES, KindCase
from support.stacks import EngineStack
from vendor_credentials.core.fingerprint import PUBLIC_KEY_ID, family
from vendor_credentials.emulator import Emulator

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("state-*.json"))
PLACEHOLDER = "http://127.0.0.1:1"


def _no_program() -> None:
    """Refresh and destroy never run the program."""


def _fixture_cases(stack: EngineStack) -> list[KindCase]:
    """The cases of the kinds the fixture holds (kinds added since are not in old state)."""
    stored = {c["outputs"]["kind"] for c in stack.credentials()}
    return [case for case in CASES if case.kind in stored]


def _fixture_program(cases: list[KindCase]) -> Callable[[], None]:
    """The program that wrote the fixtures (tests/fixtures/make_state_fixture.py)."""

    def program() -> None:
        cfg = pulumi.Config()
        for case in cases:
            args = {case.secret_input: cfg.require_secret(case.secret_input)}
            args.update(case.plain_inputs(cfg.require("base_url")))
            case.build(case.id, args)

    return program


def _families(stack: EngineStack) -> set[str]:
    return {family(c["outputs"]["fingerprint"]) for c in stack.credentials()}


@pytest.fixture(params=FIXTURES, ids=lambda p: p.stem)
def imported(
    request: pytest.FixtureRequest, emulator: Emulator, engine: dict[str, str], tmp_path: Path
) -> EngineStack:
    fixture: Path = request.param
    name = f"upgrade-{fixture.stem}"
    stack = EngineStack(name, _no_program, engine)
    text = fixture.read_text().replace(PLACEHOLDER, emulator.base_url)
    text = text.replace("urn:pulumi:fixture::", f"urn:pulumi:{name}::")  # URNs name the stack
    state = tmp_path / "state.json"
    state.write_text(text)
    imported = stack.cli("stack", "import", "--file", str(state))
    assert imported.ok, imported
    return stack


def test_there_is_a_state_fixture_of_the_current_version() -> None:
    import vendor_credentials

    assert any(p.stem == f"state-{vendor_credentials.__version__}" for p in FIXTURES)


def test_old_state_refreshes_and_destroys(imported: EngineStack) -> None:
    before = imported.credentials()
    assert len(before) == 4
    assert _families(imported) == {"fp1"}
    refreshed = imported.refresh()
    assert refreshed.ok, refreshed
    assert {c["outputs"]["status"] for c in imported.credentials()} == {"valid"}
    assert _families(imported) == {f"fp2:{PUBLIC_KEY_ID}"}  # fp1 replaced by the refresh
    destroyed = imported.destroy()
    assert destroyed.ok, destroyed
    assert imported.credentials() == []
    assert json.dumps(before)  # the fixture really held four credentials of every kind
    assert {c["type"].rsplit(":", 1)[-1] for c in before} == {
        "HelpScoutMailboxCredential",
        "HelpScoutDocsApiKey",
        "IntercomAccessToken",
        "TalkdeskClientCredential",
    }


def test_old_fingerprints_change_once_in_preview_and_up_calls_no_vendor(
    imported: EngineStack, emulator: Emulator
) -> None:
    """fp1 state with the current program: a one-time `~ fingerprint` update of each
    credential (same secret, new scheme); the update relabels without asking the vendor."""
    cases = _fixture_cases(imported)
    imported.stack.workspace.program = _fixture_program(cases)
    imported.set_config({c.secret_input: c.secret for c in cases}, secret=True)
    imported.set_config({"base_url": emulator.base_url})
    had_input = all("fingerprint" in c["inputs"] for c in imported.credentials())
    preview = imported.preview()
    assert preview.ok, preview
    assert preview.changes.get("update") == 4, preview.changes
    shown = re.findall(r'([~+]) fingerprint\s*: (?:"fp1:[0-9a-f]{16}" => )?"fp2:', preview.text)
    assert shown == ["~" if had_input else "+"] * 4, preview.text
    emulator.clear_log()
    up = imported.up()
    assert up.ok, up
    assert up.changes.get("update") == 4, up.changes
    assert emulator.count() == 0  # relabelled, not validated again
    assert _families(imported) == {f"fp2:{PUBLIC_KEY_ID}"}
    again = imported.preview()
    assert again.ok and set(again.changes) == {"same"}, again
    assert imported.destroy().ok
