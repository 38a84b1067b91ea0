"""The lifecycle matrix, for every kind, through the real `pulumi` CLI against the emulator.

The kinds and their credentials come from the declarations (``support.cases``). One stack per
kind is shared by the tests of this module (engine operations cost seconds); tests run in file
order and each states the behaviour it proves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from support.cases import CASES, KindCase
from support.stacks import EngineStack
from vendor_credentials.core.fingerprint import is_current
from vendor_credentials.emulator import Emulator


@dataclass
class Subject:
    case: KindCase
    stack: EngineStack
    emulator: Emulator
    secret: str

    def configure(self, secret: str | None = None, **plain: Any) -> None:
        self.stack.set_config({self.case.secret_input: secret or self.secret}, secret=True)
        trusted = {"vendor-credentials:trustedOrigins": self.emulator.base_url}  # previews prove
        self.stack.set_config({**self.case.config(self.emulator.base_url, **plain), **trusted})

    def state(self) -> dict[str, Any]:
        creds = self.stack.credentials()
        assert len(creds) == 1, creds
        return creds[0]


@pytest.fixture(scope="module", params=CASES, ids=str)
def case(request: pytest.FixtureRequest) -> KindCase:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def subjects(emulator: Emulator) -> Iterator[dict[str, Subject]]:
    """One subject per kind for the module: a stack must not be rebuilt (nor its rotated
    secret forgotten) if pytest interleaves the vendors' tests."""
    made: dict[str, Subject] = {}
    yield made
    for subject in made.values():
        emulator.restore(subject.case.emulator_key)
        subject.stack.destroy()


@pytest.fixture
def subject(
    case: KindCase, emulator: Emulator, engine: dict[str, str], subjects: dict[str, Subject]
) -> Subject:
    if case.id not in subjects:
        stack = EngineStack(f"lifecycle-{case.id}", case.program(), engine)
        subjects[case.id] = Subject(case, stack, emulator, case.secret)
        subjects[case.id].configure()
    return subjects[case.id]


def test_check_rejects_secret_with_white_space_naming_the_field(subject: Subject) -> None:
    subject.configure(secret=subject.secret + " ")
    outcome = subject.stack.preview()
    assert not outcome.ok
    assert subject.case.secret_input in outcome.text
    assert "leading or trailing white space" in outcome.text


def test_check_reports_each_bad_field_with_its_fix(subject: Subject) -> None:
    bad = subject.case.bad_inputs(subject.emulator.base_url)
    subject.configure(**bad)
    outcome = subject.stack.preview()
    subject.configure()
    assert not outcome.ok
    for field in bad:
        assert field in outcome.text, field
    assert "must use https" in outcome.text or "path, query or fragment" in outcome.text
    assert subject.stack.credentials() == []


def test_preview_plans_one_create(subject: Subject) -> None:
    subject.configure()
    outcome = subject.stack.preview()
    assert outcome.ok, outcome
    assert outcome.changes.get("create") == 2  # the stack and the credential


def test_create_with_rejected_secret_fails_and_stores_nothing(subject: Subject) -> None:
    subject.configure(secret="Wrong" + subject.secret[5:])
    outcome = subject.stack.up()
    assert not outcome.ok
    assert "rejected" in outcome.text
    assert "HTTP 40" in outcome.text
    assert subject.emulator.base_url in outcome.text  # the endpoint is named
    assert subject.stack.credentials() == []
    # One clean line: the kind and operation first, no exception class, no traceback.
    assert f"error: {subject.case.kind}: create failed: " in outcome.text
    assert "ProviderError" not in outcome.text
    assert "Traceback" not in outcome.text


def test_up_creates_a_valid_credential_with_identity(subject: Subject) -> None:
    subject.configure()
    outcome = subject.stack.up()
    assert outcome.ok, outcome
    assert outcome.outputs["status"] == "valid"
    assert outcome.outputs["status_reason"] == ""
    assert outcome.outputs["kind"] == subject.case.kind
    identity = outcome.outputs["identity"]
    assert {
        k: identity.get(k) for k in subject.case.sample.identity
    } == subject.case.sample.identity
    assert is_current(outcome.outputs["fingerprint"])


def test_refresh_of_unchanged_credential_reports_no_change(subject: Subject) -> None:
    before = subject.state()["outputs"]
    outcome = subject.stack.refresh()
    assert outcome.ok, outcome
    assert set(outcome.changes) == {"same"}, outcome.changes
    assert subject.state()["outputs"] == before


def test_preview_with_same_inputs_plans_no_change(subject: Subject) -> None:
    outcome = subject.stack.preview()
    assert outcome.ok, outcome
    assert set(outcome.changes) == {"same"}, outcome.changes


def test_description_change_updates_in_place(subject: Subject) -> None:
    subject.configure(description="owned by the platform team")
    outcome = subject.stack.up()
    assert outcome.ok, outcome
    assert outcome.changes.get("update") == 1, outcome.changes


def test_rotated_secret_updates_in_place_with_new_fingerprint(subject: Subject) -> None:
    old_fingerprint = subject.state()["outputs"]["fingerprint"]
    subject.secret = subject.emulator.rotate(subject.case.emulator_key)
    subject.configure(description="owned by the platform team")
    outcome = subject.stack.up()
    assert outcome.ok, outcome
    assert outcome.changes.get("update") == 1, outcome.changes
    assert "replace" not in outcome.changes
    assert outcome.outputs["status"] == "valid"
    assert outcome.outputs["fingerprint"] != old_fingerprint


def test_failed_update_keeps_the_old_state_exactly(subject: Subject) -> None:
    before = subject.state()
    subject.configure(secret="Wrong" + subject.secret[5:], description="owned by the platform team")
    outcome = subject.stack.up()
    assert not outcome.ok
    assert "rejected" in outcome.text
    after = subject.state()
    subject.configure(description="owned by the platform team")
    assert after["outputs"] == before["outputs"]
    assert after["inputs"] == before["inputs"]


def test_changing_what_names_the_credential_plans_a_replace(subject: Subject) -> None:
    change = subject.case.replacement(subject.emulator.base_url)
    if change is None:  # its only input is the secret: a change is an update
        assert subject.case.declaration.inputs.replace_fields == ()
        return
    name, value = change
    # The diff alone is under test: the vendor would (rightly) reject the made-up credential
    # during preview, so preview validation is off for this one preview.
    subject.configure(description="owned by the platform team", **{name: value})
    subject.stack.set_config({"vendor-credentials:validateOnPreview": "false"})
    try:
        outcome = subject.stack.preview()
    finally:
        subject.stack.stack.remove_config("vendor-credentials:validateOnPreview")
        subject.configure(description="owned by the platform team")
    assert outcome.ok, outcome
    assert outcome.changes.get("replace") == 1, outcome.changes
    assert name in outcome.text


def test_refresh_during_vendor_outage_fails_and_keeps_state(subject: Subject) -> None:
    before = subject.state()
    subject.emulator.inject(503, times=50)
    try:
        outcome = subject.stack.refresh()
    finally:
        subject.emulator.clear_faults()
    assert not outcome.ok
    assert "503" in outcome.text
    assert subject.state()["outputs"] == before["outputs"]


def test_refresh_after_revocation_keeps_it_in_state_as_invalid(subject: Subject) -> None:
    before = subject.state()["outputs"]
    assert before["last_valid_at"] == before["validated_at"] != ""
    subject.emulator.revoke(subject.case.emulator_key)
    outcome = subject.stack.refresh()
    assert outcome.ok, outcome
    outputs = subject.state()["outputs"]
    assert outputs["status"] == "invalid"
    assert outputs["status_reason"]
    # Still readable: whose credential it is, and when it was last valid.
    assert outputs["identity"] == before["identity"] != {}
    assert outputs["last_valid_at"] == before["validated_at"]
    assert outputs["validated_at"] == ""
    again = subject.stack.refresh()  # still revoked: nothing more is lost
    assert again.ok, again
    kept = ("status", "status_reason", "identity", "last_valid_at", "validated_at")
    assert {k: subject.state()["outputs"][k] for k in kept} == {k: outputs[k] for k in kept}


def test_up_with_same_inputs_while_revoked_fails_clearly(subject: Subject) -> None:
    subject.configure(description="owned by the platform team")
    outcome = subject.stack.up()
    assert not outcome.ok
    assert "rejected" in outcome.text
    assert subject.state()["outputs"]["status"] == "invalid"


def test_up_after_restore_is_valid_again(subject: Subject) -> None:
    subject.emulator.restore(subject.case.emulator_key)
    subject.configure(description="owned by the platform team")
    outcome = subject.stack.up()
    assert outcome.ok, outcome
    assert outcome.outputs["status"] == "valid"


def test_destroy_removes_it_and_calls_no_vendor(subject: Subject) -> None:
    subject.emulator.clear_log()
    outcome = subject.stack.destroy()
    assert outcome.ok, outcome
    assert subject.stack.credentials() == []
    assert subject.emulator.count() == 0
