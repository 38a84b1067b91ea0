"""examples/ci/credentials.yml: its exact commands, run with the real CLI against the emulator.

The workflow's `run:` lines that call `pulumi` or `vendor-credentials` are executed verbatim by
bash in a copy of this project (Pulumi.yaml + examples/all-vendors), on a local backend, with the
environment the workflow sets ($STACK, $AUDIT_STACKS, passphrase, backend URL).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator
from vendor_credentials.engine import ROOT, TOOLS_BIN

WORKFLOW = ROOT / "examples" / "ci" / "credentials.yml"
STACK = "ci"


def workflow_commands(job: str) -> list[str]:
    """The job's `run:` commands that drive pulumi or our CLI, in order."""
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    runs = [step["run"] for step in jobs[job]["steps"] if "run" in step]
    return [r for r in runs if r.startswith(("pulumi ", "vendor-credentials "))]


@dataclass
class Project:
    path: Path
    env: dict[str, str]
    emulator: Emulator

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=self.path, env=self.env, capture_output=True, text=True, timeout=300
        )

    def sh(self, command: str) -> subprocess.CompletedProcess[str]:
        return self.run("bash", "-c", command)

    def try_pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(TOOLS_BIN / "pulumi"), *args, "--stack", STACK, "--non-interactive")

    def pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.try_pulumi(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, engine: dict[str, str], emulator: Emulator
) -> Iterator[Project]:
    path = tmp_path_factory.mktemp("ci-project")
    shutil.copy(ROOT / "Pulumi.yaml", path / "Pulumi.yaml")
    shutil.copytree(ROOT / "examples" / "all-vendors", path / "examples" / "all-vendors")
    os.symlink(ROOT / ".venv", path / ".venv")
    env = {
        **os.environ,
        **engine,
        "STACK": STACK,
        "AUDIT_STACKS": STACK,
        "PATH": f"{TOOLS_BIN}:{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    project = Project(path, env, emulator)
    project.pulumi("stack", "init")
    hs, docs = DEMO_CREDENTIALS["helpscout_mailbox"], DEMO_CREDENTIALS["helpscout_docs"]
    ic, td = DEMO_CREDENTIALS["intercom_eu"], DEMO_CREDENTIALS["talkdesk"]
    for key, value in {
        "baseUrl": emulator.base_url,
        "vendor-credentials:trustedOrigins": emulator.base_url,  # previews prove against it
        "helpscoutAppId": hs["app_id"],
        "talkdeskAccount": td["account_name"],
        "talkdeskClientId": td["client_id"],
    }.items():
        project.pulumi("config", "set", key, value)
    for key, value in {
        "helpscoutAppSecret": hs["app_secret"],
        "helpscoutDocsApiKey": docs["api_key"],
        "intercomAccessToken": ic["access_token"],
        "talkdeskClientSecret": td["client_secret"],
    }.items():
        project.pulumi("config", "set", "--secret", key, value)
    yield project
    project.pulumi("destroy", "--yes")


def test_pull_request_preview_passes_with_good_secrets(project: Project) -> None:
    (preview,) = [c for c in workflow_commands("preview") if c.startswith("pulumi ")]
    done = project.sh(preview)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "+ 5 to create" in done.stdout  # the stack and four credentials


def test_pull_request_preview_fails_on_a_rejected_secret(project: Project) -> None:
    (preview,) = [c for c in workflow_commands("preview") if c.startswith("pulumi ")]
    project.pulumi("config", "set", "--secret", "intercomAccessToken", "NotTheRightToken123")
    try:
        done = project.sh(preview)
    finally:
        token = DEMO_CREDENTIALS["intercom_eu"]["access_token"]
        project.pulumi("config", "set", "--secret", "intercomAccessToken", token)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Access Token Invalid" in output
    assert "NotTheRightToken123" not in output


def test_main_branch_up_applies(project: Project) -> None:
    (up,) = workflow_commands("deploy")
    done = project.sh(up)
    assert done.returncode == 0, done.stdout + done.stderr


def test_pull_request_audit_step_writes_a_markdown_report(project: Project) -> None:
    (audit,) = [c for c in workflow_commands("preview") if c.startswith("vendor-credentials ")]
    done = project.sh(audit)
    assert done.returncode == 0, done.stdout + done.stderr
    report = (project.path / "audit.md").read_text()
    assert "talkdesk-reporting" in report and "|" in report
    for secret in ("app_secret", "api_key", "access_token", "client_secret"):
        assert all(v[secret] not in report for v in DEMO_CREDENTIALS.values() if secret in v)


def test_scheduled_drift_check_passes_when_nothing_drifted(project: Project) -> None:
    (drift,) = workflow_commands("drift")
    done = project.sh(drift)
    assert done.returncode == 0, done.stdout + done.stderr


def test_scheduled_drift_check_fails_when_a_credential_was_revoked(project: Project) -> None:
    (drift,) = workflow_commands("drift")
    project.emulator.revoke("intercom_eu")
    try:
        done = project.sh(drift)
    finally:
        project.emulator.restore("intercom_eu")
    assert done.returncode != 0
    assert "intercom-eu" in done.stdout + done.stderr
    # --diff: the log says what changed and why, not just which resource.
    assert "--diff" in drift
    assert '"invalid"' in done.stdout
    assert "Access Token Invalid" in done.stdout


def test_preview_json_of_a_rotation_has_the_documented_fields(project: Project) -> None:
    old_secret = DEMO_CREDENTIALS["talkdesk"]["client_secret"]
    new_secret = project.emulator.rotate("talkdesk")
    project.pulumi("config", "set", "--secret", "talkdeskClientSecret", new_secret)
    done = project.try_pulumi("preview", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert old_secret not in done.stdout and new_secret not in done.stdout
    report = json.loads(done.stdout)
    assert report["changeSummary"] == {"same": 4, "update": 1}
    (step,) = [s for s in report["steps"] if s["op"] != "same"]
    assert step["op"] == "update"
    assert step["urn"].endswith("::talkdesk-reporting")
    assert step["newState"]["type"].endswith("vendor-credentials:TalkdeskClientCredential")
    # Dynamic providers cannot report diff reasons (detailedDiff is null): a CI script compares
    # the inputs, where a rotation shows as a new `fingerprint` (the secret itself is masked).
    old_inputs, new_inputs = step["oldState"]["inputs"], step["newState"]["inputs"]
    assert old_inputs["client_secret"] == new_inputs["client_secret"] == "[secret]"
    assert old_inputs["fingerprint"] != new_inputs["fingerprint"]
    assert old_inputs["client_id"] == new_inputs["client_id"]


def test_preview_diff_of_a_rotation_names_the_field_without_values(project: Project) -> None:
    (preview,) = [c for c in workflow_commands("preview") if c.startswith("pulumi ")]
    done = project.sh(preview)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "~ fingerprint" in done.stdout
    assert DEMO_CREDENTIALS["talkdesk"]["client_secret"] not in done.stdout


def test_pull_request_jobs_never_see_production_secrets() -> None:
    """A preview runs the pull request's code: it gets only the preview environment's secrets,
    forks get no job, and production secrets live in environments limited to main."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert not any("secrets." in str(v) for v in (workflow.get("env") or {}).values())
    jobs = workflow["jobs"]
    preview = jobs["preview"]
    assert preview["environment"] == "preview"
    assert "head.repo.full_name == github.repository" in preview["if"]  # no job for forks
    for name in ("deploy", "drift"):
        assert str(jobs[name]["environment"]).startswith("production"), name
        assert "pull_request" not in jobs[name]["if"], name
    assert preview["env"]["STACK"] != jobs["deploy"]["env"]["STACK"]
