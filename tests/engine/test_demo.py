"""The README's main job (`vendor-credentials demo`) runs end to end and prints no secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vendor_credentials.emulator import DEMO_CREDENTIALS

SECRET_KEYS = ("app_secret", "api_key", "access_token", "client_secret")


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
    for name in ("supportMailbox", "docsPublisher", "intercomEu", "talkdeskReporting"):
        assert f"{name}: {{'expires_at'" in output, name
    assert "'status': 'invalid'" not in output
    secrets = [v[k] for v in DEMO_CREDENTIALS.values() for k in SECRET_KEYS if k in v]
    assert [s for s in secrets if s in output] == []
