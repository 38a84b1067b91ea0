"""The native provider through Pulumi YAML: ``examples/yaml`` (every kind) with the real CLI.

One stack of the committed example is shared by the module's tests, in file order: preview, up,
refresh, a rotated secret in ``preview --diff``, an identity change planned as a replace, a
revocation seen by refresh, destroy. Every operation runs with the engine's ``-v=9`` log and the
plugin's debug log, and the last tests grep all of it, the state file and ``stack export`` for
every secret the run used (seeded, rotated, rejected, and each token the emulator issued).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pulumi
import pytest

from support.stacks import EngineStack
from support.yaml_stacks import (
    YamlStack,
    case_of,
    kinds,
    output_of,
    sample_config,
    secret_key,
)
from vendor_credentials.audit import audit
from vendor_credentials.audit.model import Options
from vendor_credentials.audit.render import render
from vendor_credentials.core.fingerprint import is_current
from vendor_credentials.core.registry import kind_for
from vendor_credentials.emulator import Emulator
from vendor_credentials.native.example import config_key, resource_name
from vendor_credentials.native.kinds import camel

PROJECT = "vendor-credentials-yaml"  # the example's project name
VERBOSE: dict[str, Any] = {"log_verbosity": 9, "log_to_std_err": True}
WRONG = "LeakCanaryRejectedYamlSecret8d1f3b5a7c"


def encodings(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
    }


@dataclass
class Run:
    stack: YamlStack
    emulator: Emulator
    secrets: set[str] = field(default_factory=set)

    def configure(self, **overrides: str) -> None:
        """Every kind's sample config (or the given secret per config key) and the emulator."""
        for info in kinds():
            plain, secret = sample_config(info, self.emulator.base_url)
            key = secret_key(info)
            secret[key] = overrides.get(key, secret[key])
            self.secrets |= set(secret.values())
            self.stack.set_config(plain)
            self.stack.set_config(secret, secret=True)
        self.stack.set_config(
            {
                "baseUrl": self.emulator.base_url,
                "vendor-credentials:trustedOrigins": self.emulator.base_url,
            }
        )

    def leaks_in(self, text: str) -> list[str]:
        forbidden: set[str] = set()
        for secret in self.secrets | set(self.emulator.issued_tokens()):
            forbidden |= encodings(secret)
        return sorted(s for s in forbidden if s in text)

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Each credential's stored outputs, by kind."""
        found = {}
        for resource in self.stack.credentials():
            found[resource["outputs"]["kind"]] = resource["outputs"]
        return found


@pytest.fixture(scope="module")
def run(
    emulator: Emulator, engine: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Run]:
    env = {**engine, "VENDOR_CREDENTIALS_LOG_LEVEL": "debug"}
    work_dir: Path = tmp_path_factory.mktemp("yaml-example")
    the_run = Run(YamlStack("yaml", env, work_dir), emulator)
    the_run.configure()
    yield the_run
    emulator.restore()
    the_run.stack.destroy()


def test_example_declares_every_kind(run: Run) -> None:
    text = run.stack.stack.workspace.work_dir + "/Pulumi.yaml"
    example = Path(text).read_text()
    for info in kinds():
        assert f"type: {info.token}" in example


def test_preview_validates_every_kind_in_create_with_preview(run: Run) -> None:
    """Check is offline and called one resource at a time; the validation runs in create with
    preview=true, which the engine calls for all of them at once: with every vendor answer taking
    a second, the first requests of all credentials still start together."""
    run.emulator.clear_log()
    run.emulator.latency = 1.0
    try:
        outcome = run.stack.preview(**VERBOSE)
    finally:
        run.emulator.latency = 0.0
    assert outcome.ok, outcome
    assert outcome.changes.get("create") == len(kinds()) + 1  # and the stack
    first: dict[str | None, float] = {}
    for record in run.emulator.requests:
        first.setdefault(record.credential, record.timestamp)
    previewed = [i for i in kinds() if kind_for(i.kind).validates_in_preview]
    assert len(first) == len(previewed), first  # the preview proved each credential it may
    assert max(first.values()) - min(first.values()) < 0.9, first  # in parallel, not in turn
    assert "preview true" in outcome.text  # the engine's step executor ran the create step


def test_preview_with_a_rejected_secret_fails_naming_the_property(run: Run) -> None:
    info = kinds()[0]
    run.configure(**{secret_key(info): WRONG})
    outcome = run.stack.preview()
    run.configure()
    assert not outcome.ok
    assert "preview validation failed" in outcome.text
    assert camel(case_of(info).secret_input) in outcome.text
    assert "rejected" in outcome.text


def test_preview_says_why_it_did_not_validate_an_untrusted_base_url(run: Run) -> None:
    """The plugin has no program to warn through: its warning reaches the engine's log service
    and the CLI prints it under the resource, without -v and without sending any secret."""
    run.stack.set_config({"vendor-credentials:trustedOrigins": "https://gateway.example.com"})
    run.emulator.clear_log()
    try:
        outcome = run.stack.preview()
    finally:
        run.configure()
    assert outcome.ok, outcome
    assert run.emulator.requests == []
    previewed = [i for i in kinds() if kind_for(i.kind).validates_in_preview]
    assert outcome.text.count("preview did not validate this credential") >= len(previewed)
    assert "vendor-credentials:trustedOrigins" in outcome.text


def test_up_creates_every_kind_valid_with_identity(run: Run) -> None:
    outcome = run.stack.up(**VERBOSE)
    assert outcome.ok, outcome
    for info in kinds():
        assert output_of(outcome.outputs, info, "status") == "valid", info.kind
        identity = output_of(outcome.outputs, info, "identity")
        for key in case_of(info).identity_keys:
            assert identity.get(key), (info.kind, key, identity)


def test_state_holds_no_pickled_code_and_every_secret_as_ciphertext(run: Run) -> None:
    exported = run.stack.cli("stack", "export")
    assert exported.ok, exported
    state = json.loads(exported.text[exported.text.index("{") :])
    creds = [
        r for r in state["deployment"]["resources"] if r["type"].startswith("vendor-credentials:")
    ]
    assert {r["type"] for r in creds} == {info.token for info in kinds()}
    assert "__provider" not in exported.text and "pulumi-python:dynamic" not in exported.text
    for resource in creds:
        info = next(i for i in kinds() if i.token == resource["type"])
        for bag, names in (
            ("inputs", info.secret_fields),
            ("outputs", (*info.secret_fields, *info.carried_secrets)),  # carried tokens too
        ):
            for name in names:
                value = resource[bag][camel(name)]
                assert set(value) == {"4dabf18193072939515e22adb298388d", "ciphertext"}, (bag, name)
        assert resource["outputs"]["status"] == "valid"
        assert is_current(resource["outputs"]["fingerprint"])


def test_refresh_of_unchanged_credentials_reports_no_change(run: Run) -> None:
    before = run.outputs()
    outcome = run.stack.refresh(**VERBOSE)
    assert outcome.ok, outcome
    assert set(outcome.changes) == {"same"}, outcome.changes
    assert run.outputs() == before


def test_rotated_secret_shows_as_a_change_of_that_property(run: Run) -> None:
    rotated = {}
    for info in kinds():
        rotated[secret_key(info)] = run.emulator.rotate(case_of(info).emulator_key)
    run.configure(**rotated)
    outcome = run.stack.preview(**VERBOSE)
    assert outcome.ok, outcome
    assert outcome.changes.get("update") == len(kinds()), outcome.changes
    for info in kinds():
        assert f"~ {camel(case_of(info).secret_input)}: [secret] => [secret]" in outcome.text
    assert "fingerprint" not in outcome.text.split("Resources:")[0].split("~ ")[-1]
    up = run.stack.up()
    assert up.ok, up
    assert up.changes.get("update") == len(kinds()), up.changes
    assert "replace" not in up.changes


def test_identity_changing_field_is_planned_as_a_replace(run: Run) -> None:
    replaceable = [i for i in kinds() if case_of(i).replace is not None]
    assert replaceable
    for info in replaceable:
        name, value = case_of(info).replace or ("", "")
        assert name in info.replace_fields
        # The diff alone is under test: the vendor would (rightly) reject the made-up credential.
        run.stack.set_config({"vendor-credentials:validateOnPreview": "false"})
        run.stack.set_config({config_key(info, name): value})
        try:
            outcome = run.stack.preview()
        finally:
            run.stack.stack.remove_config("vendor-credentials:validateOnPreview")
            run.stack.set_config(sample_config(info, run.emulator.base_url)[0])
        assert outcome.ok, outcome
        assert outcome.changes.get("replace") == 1, (info.kind, outcome.changes)
        assert f"+-vendor-credentials:{info.token.split(':', 1)[1]}" in outcome.text
        assert f"~ {camel(name)}:" in outcome.text


def test_refresh_after_revocation_marks_them_invalid(run: Run) -> None:
    for info in kinds():
        run.emulator.revoke(case_of(info).emulator_key)
    outcome = run.stack.refresh(**VERBOSE)
    assert outcome.ok, outcome
    for kind, outputs in run.outputs().items():
        assert outputs["status"] == "invalid", kind
        assert outputs["statusReason"], kind


def test_up_while_revoked_fails_and_after_restore_is_valid(run: Run) -> None:
    outcome = run.stack.up()
    assert not outcome.ok
    assert "rejected" in outcome.text
    run.emulator.restore()
    outcome = run.stack.up(**VERBOSE)
    assert outcome.ok, outcome
    assert {o["status"] for o in run.outputs().values()} == {"valid"}


def test_audit_reports_yaml_and_python_credentials_of_one_project(run: Run) -> None:
    """A Python program (dynamic resources) in the YAML example's project, one report for both."""
    info = next(i for i in kinds() if i.kind == "intercom.AccessToken")
    token = run.stack.stack.get_config(secret_key(info)).value  # the same secret: shared
    case = case_of(info)

    def program() -> None:
        resource = case.build(
            "python-intercom",
            {
                case.secret_input: pulumi.Output.secret(token),
                **case.plain,
                "base_url": run.emulator.base_url,
            },
        )
        pulumi.export("status", resource.status)

    python = EngineStack("python", program, run.stack.env, project=PROJECT)
    try:
        assert python.up().ok
        report = audit(
            ["yaml", "python"],
            project=PROJECT,
            options=Options(prod_pattern="^yaml$"),  # the YAML stack plays production
            env={**os.environ, **run.stack.env},
        )
    finally:
        python.destroy()
    rows = {(row.name, row.kind): row for row in report.rows}
    for yaml_info in kinds():
        row = rows[(resource_name(yaml_info), yaml_info.kind)]
        cell = row.cells["yaml"]
        assert cell is not None and cell.status == "valid", yaml_info.kind
        assert is_current(cell.fingerprint) and cell.validated_at is not None
    python_cell = rows[("python-intercom", info.kind)].cells["python"]
    assert python_cell is not None and python_cell.status == "valid"
    shared = [f for f in report.findings if f.code == "shared_secret"]
    assert shared and {"yaml", "python"} <= set(shared[0].stacks), report.findings
    assert token not in render(report, "table") + render(report, "json")


def test_no_secret_in_any_output_log_or_error(run: Run) -> None:
    transcript = "\n".join(run.stack.transcript)
    assert run.emulator.issued_tokens(), "the exchanges must have issued tokens"
    assert run.leaks_in(transcript) == []
    assert "validating" in transcript  # the plugin's debug log reached the engine's log


def test_no_secret_in_the_state_file_or_its_export(run: Run) -> None:
    text = run.stack.state_file().read_text()
    assert run.leaks_in(text) == []
    assert "ciphertext" in text
    exported = run.stack.cli("stack", "export")
    assert exported.ok and run.leaks_in(exported.text) == []


def test_destroy_removes_every_kind_and_calls_no_vendor(run: Run) -> None:
    run.emulator.clear_log()
    outcome = run.stack.destroy(**VERBOSE)
    assert outcome.ok, outcome
    assert run.stack.credentials() == []
    assert run.emulator.count() == 0
    assert run.leaks_in(outcome.text) == []
    for info in kinds():
        assert resource_name(info) in outcome.text
