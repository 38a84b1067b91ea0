"""`pulumi refresh --diff` of a native (Pulumi YAML) credential shows the status it found.

The engine frames a refresh's diff against the program's inputs (the Diff an `up` would make
right after it, inverted), so without the plugin's help a revoked credential showed as an empty
`(update)` and a restored one as unchanged. The plugin marks `status` / `statusReason` in the Diff
of the refresh's own step; the `up` after it must plan exactly what it planned before. Every
command runs as a user types it, through the real CLI, in a one-credential YAML project.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.leaks import leaks
from support.yaml_stacks import case_of, sample_config
from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import TOOLS_BIN
from vendor_credentials.native.example import config_key
from vendor_credentials.native.kinds import KindInfo, native_kinds

INFO: KindInfo = next(i for i in native_kinds() if i.kind == "zendesk.ApiToken")
REASON = "Couldn't authenticate you"  # the emulator's Zendesk 401
LEGACY = {"PULUMI_ENABLE_LEGACY_REFRESH_DIFF": "true"}
INPUTS = {"subdomain": "subdomain", "email": "email", "api_token": "apiToken"}  # from config


def program(keys: list[str]) -> str:
    config = "".join(f"  {key}:\n    type: string\n" for key in keys)
    inputs = "".join(
        f"      {camel}: ${{{config_key(INFO, name)}}}\n" for name, camel in INPUTS.items()
    )
    return (
        f"name: refresh-diff\nruntime: yaml\nconfig:\n{config}  baseUrl:\n    type: string\n"
        f"resources:\n  zendesk:\n    type: {INFO.token}\n    properties:\n{inputs}"
        "      baseUrl: ${baseUrl}\n"
    )


@dataclass
class Project:
    path: Path
    env: dict[str, str]
    secrets: dict[str, str]
    transcript: list[str] = field(default_factory=list)

    def pulumi(self, *args: str, env: dict[str, str] | None = None, ok: bool = True) -> str:
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive", "--stack", "dev"],
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        text = done.stdout + done.stderr
        self.transcript.append(text)
        assert (done.returncode == 0) == ok, f"pulumi {' '.join(args)}:\n{text[-4000:]}"
        return text


@pytest.fixture(scope="module")
def project(
    engine: dict[str, str], emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    path = tmp_path_factory.mktemp("refresh-diff")
    plain, secret = sample_config(INFO, emulator.base_url)
    (path / "Pulumi.yaml").write_text(program(sorted({*plain, *secret})))
    env = {**os.environ, **engine, "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"}
    the_project = Project(path, env, secret)
    subprocess.run(["pulumi", "stack", "init", "dev"], cwd=path, env=env, check=True)
    for key, value in {**plain, "baseUrl": emulator.base_url}.items():
        the_project.pulumi("config", "set", key, value)
    for key, value in secret.items():
        the_project.pulumi("config", "set", "--secret", key, value)
    the_project.pulumi("config", "set", "vendor-credentials:trustedOrigins", emulator.base_url)
    the_project.pulumi("up", "--yes")
    yield the_project
    emulator.restore()
    the_project.pulumi("destroy", "--yes")


def shows(text: str, sign: str, name: str, value: str) -> bool:
    """``text`` has the engine's diff line for ``name`` (keys are padded to one width)."""
    return re.search(rf"{re.escape(sign)} {name}\s*: {re.escape(value)}", text) is not None


def test_refresh_diff_shows_a_revoked_credential_going_invalid(
    project: Project, emulator: Emulator
) -> None:
    emulator.revoke(case_of(INFO).emulator_key)
    text = project.pulumi("refresh", "--yes", "--diff")
    assert shows(text, "~", "status", '"valid" => "invalid"'), text
    assert shows(text, "+", "statusReason", f'"{REASON}"'), text
    assert "~ 1 updated" in text, text


def test_up_after_it_plans_the_revalidation_as_before(project: Project) -> None:
    """The same Diff in `up`'s framing: the update it plans is unchanged, no status line."""
    text = project.pulumi("preview", "--diff")
    assert "~ 1 to update" in text, text
    assert "status" not in text, text
    text = project.pulumi("up", "--yes", "--diff", ok=False)  # still revoked: fails clearly
    assert "status" not in text.split("Updating (dev)")[0], text


def test_refresh_diff_shows_a_restored_credential_going_valid(
    project: Project, emulator: Emulator
) -> None:
    emulator.restore(case_of(INFO).emulator_key)
    text = project.pulumi("refresh", "--yes", "--diff")
    assert shows(text, "~", "status", '"invalid" => "valid"'), text
    assert shows(text, "-", "statusReason", f'"{REASON}"'), text
    assert "~ 1 updated" in text and "2 unchanged" not in text, text
    assert "2 unchanged" in project.pulumi("refresh", "--yes", "--diff")  # nothing new: no change
    assert "2 unchanged" in project.pulumi("preview", "--diff")


def test_up_with_refresh_shows_the_refresh_and_plans_from_its_result(
    project: Project, emulator: Emulator
) -> None:
    """One process: the refresh step takes the plugin's note, the up's own Diff sees none."""
    emulator.revoke(case_of(INFO).emulator_key)
    project.pulumi("refresh", "--yes")
    emulator.restore(case_of(INFO).emulator_key)
    text = project.pulumi("up", "--refresh", "--yes", "--diff")
    assert shows(text, "~", "status", '"invalid" => "valid"'), text
    assert "2 unchanged" in text.split("Updating (dev)")[-1], text  # valid again: no update
    assert "2 unchanged" in project.pulumi("preview", "--diff")


def test_legacy_refresh_diff_shows_every_changed_output(
    project: Project, emulator: Emulator
) -> None:
    """The engine's own output diff (README): the plugin then leaves no note for `up`'s Diff."""
    emulator.revoke(case_of(INFO).emulator_key)
    text = project.pulumi("refresh", "--yes", "--diff", env=LEGACY)
    assert shows(text, "~", "status", '"valid" => "invalid"'), text
    assert shows(text, "+", "statusReason", f'"{REASON}"'), text
    emulator.restore(case_of(INFO).emulator_key)
    text = project.pulumi("up", "--refresh", "--yes", "--diff", env=LEGACY)
    assert shows(text, "~", "status", '"invalid" => "valid"'), text
    assert "2 unchanged" in text.split("Updating (dev)")[-1], text  # valid again: no update


def test_no_secret_in_any_output(project: Project) -> None:
    assert leaks(project.secrets, project.transcript) == []  # Zendesk issues no tokens
