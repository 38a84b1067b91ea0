"""The README's "Try the YAML example" recipe, as a user runs it: copy the example, init a stack,
pipe the printed `pulumi config set` commands to a shell, preview against the emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support.cases import CASES
from support.leaks import leaks
from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import ROOT, TOOLS_BIN
from vendor_credentials.native.example import EXAMPLE_FILE


def shell(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    text = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command[:3])} failed:\n{text[-4000:]}"
    return text


def test_the_printed_config_commands_make_a_previewable_stack(
    engine: dict[str, str], emulator: Emulator, tmp_path: Path
) -> None:
    project = tmp_path / "yaml-credentials"
    project.mkdir()
    shutil.copy(EXAMPLE_FILE, project / "Pulumi.yaml")
    env = {**os.environ, **engine, "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"}
    example = [sys.executable, "-m", "vendor_credentials.native.example"]
    commands = shell([*example, "--emulator-config", emulator.base_url], ROOT, env)
    assert "--print-secret" in commands
    assert leaks({c.id: c.secret for c in CASES}, [commands]) == []  # read when run, not printed

    shell(["pulumi", "stack", "init", "dev", "--non-interactive"], project, env)
    shell(["bash", "-euo", "pipefail", "-c", commands], project, env)
    before = emulator.count()
    preview = shell(["pulumi", "preview", "--non-interactive", "--stack", "dev"], project, env)

    assert "preview did not validate" not in preview  # the emulator is trusted: all validated
    assert emulator.count() - before >= len(CASES)  # ... by asking it
    assert preview.count("vendor-credentials:") >= len(CASES)
    assert leaks({c.id: c.secret for c in CASES}, [preview]) == []
    config = (project / "Pulumi.dev.yaml").read_text()
    assert leaks({c.id: c.secret for c in CASES}, [config]) == []  # secure: ciphertext only
