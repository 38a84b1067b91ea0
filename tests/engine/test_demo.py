"""The README's main job (`vendor-credentials demo`) runs end to end and prints no secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.cases import CASES
from vendor_credentials.demo import output_name


def test_demo_previews_ups_refreshes_destroys_and_prints_outputs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vendor_credentials.cli", "demo", "--stack", "readme-demo"],
        env={**os.environ, "VENDOR_CREDENTIALS_STATE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    steps = ("pulumi preview", "pulumi up", "pulumi refresh", "stack outputs", "pulumi destroy")
    for step in steps:
        assert f"==> {step}" in output, step
    for case in CASES:  # every kind the package declares
        assert f"{output_name(case.kind)}: {{'expires_at'" in output, case.kind
    assert "'status': 'invalid'" not in output
    assert [case.kind for case in CASES if case.secret in output] == []
