"""Inline stacks keep their workspace beside the state, not in a new ``/tmp/automation-*``
directory per stack object (the Automation API's default, never removed)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from pulumi import automation as auto

from vendor_credentials.engine import inline_stack


def _program() -> None:
    """Declares nothing."""


def test_the_workspace_lives_beside_the_state_and_no_temp_directory_is_left(
    engine: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in engine.items():  # inline_stack exports them; put them back afterwards
        monkeypatch.setenv(name, value)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    stack = inline_stack("workspace-home", _program, project="vendor-credentials-ws", env=engine)
    stack.set_config("vendor-credentials:readTimeout", auto.ConfigValue("7"))
    again = inline_stack("workspace-home", _program, project="vendor-credentials-ws", env=engine)

    expected = Path(engine["PULUMI_HOME"]).parent / "workspaces" / "vendor-credentials-ws"
    assert Path(stack.workspace.work_dir) == expected / "workspace-home"
    assert Path(again.workspace.work_dir) == expected / "workspace-home"
    assert again.get_config("vendor-credentials:readTimeout").value == "7"
    assert sorted(p.name for p in scratch.iterdir()) == []
