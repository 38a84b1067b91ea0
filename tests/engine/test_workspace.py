"""Inline stacks keep their workspace beside the state, one per stack object, removed at exit:
not a new ``/tmp/automation-*`` directory per stack object (the Automation API's default, never
removed), and never shared by two stack objects (config set on one must not reach the other)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from pulumi import automation as auto

from vendor_credentials.engine import inline_stack


def _program() -> None:
    """Declares nothing."""


def test_each_stack_object_has_its_own_workspace_beside_the_state(
    engine: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    first = inline_stack("ws-own", _program, project="vendor-credentials-ws", env=engine)
    second = inline_stack("ws-own", _program, project="vendor-credentials-ws", env=engine)
    first.set_config("vendor-credentials:readTimeout", auto.ConfigValue("7"))

    workspaces = Path(engine["PULUMI_HOME"]).parent / "workspaces"
    dirs = {Path(first.workspace.work_dir), Path(second.workspace.work_dir)}
    assert len(dirs) == 2 and all(d.parent == workspaces for d in dirs)
    with pytest.raises(auto.errors.CommandError):  # not set on this stack object
        second.get_config("vendor-credentials:readTimeout")
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_the_workspace_is_removed_when_the_process_exits(engine: dict[str, str]) -> None:
    script = (
        "import os\n"
        "from vendor_credentials.engine import inline_stack\n"
        "stack = inline_stack('ws-exit', lambda: None, project='vendor-credentials-ws', "
        "env=dict(os.environ))\n"
        "print(stack.workspace.work_dir)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **engine},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    work_dir = Path(done.stdout.strip().splitlines()[-1])
    assert work_dir.parent == Path(engine["PULUMI_HOME"]).parent / "workspaces"
    assert not work_dir.exists()


def test_a_stacks_env_stays_out_of_this_process(engine: dict[str, str]) -> None:
    """A stack's env goes to its CLI only: exported into ``os.environ``, one test's (or one
    benchmark subject's) log level or passphrase would reach every later stack of the process."""
    before = dict(os.environ)
    env = {**engine, "VENDOR_CREDENTIALS_LOG_LEVEL": "debug"}
    stack = inline_stack("ws-env", _program, project="vendor-credentials-ws", env=env)
    stack.set_config("vendor-credentials:readTimeout", auto.ConfigValue("7"))
    assert stack.get_config("vendor-credentials:readTimeout").value == "7"
    assert dict(os.environ) == before
