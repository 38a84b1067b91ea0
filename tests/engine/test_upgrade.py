"""State written by an earlier version refreshes and destroys with the current code.

Each committed ``tests/fixtures/state-<version>.json`` (made by ``make_state_fixture.py`` with that
version) is imported into a fresh stack, pointed at this run's emulator, refreshed and destroyed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.stacks import EngineStack
from vendor_credentials.emulator import Emulator

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("state-*.json"))
PLACEHOLDER = "http://127.0.0.1:1"


def _no_program() -> None:
    """Refresh and destroy never run the program."""


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
    refreshed = imported.refresh()
    assert refreshed.ok, refreshed
    assert {c["outputs"]["status"] for c in imported.credentials()} == {"valid"}
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
