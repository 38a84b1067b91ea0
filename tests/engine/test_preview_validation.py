"""Previews validate new and changed credentials with their vendors, once; a setting turns it off.

One stack declares every kind (support.cases); the emulator's request log counts requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pulumi
import pytest

from support.cases import CASES
from support.stacks import EngineStack
from vendor_credentials.core.provider import CredentialProvider
from vendor_credentials.emulator import Emulator

# Kinds whose proof may rotate what it presents are never validated by a preview (core/carry.py).
PREVIEWED = tuple(c for c in CASES if c.declaration.validates_in_preview)


def program() -> None:
    cfg = pulumi.Config()
    for case in CASES:
        args = dict(cfg.require_object(f"{case.id}-inputs"))
        args[case.secret_input] = cfg.require_secret(f"{case.id}-secret")
        case.build(case.id, args)


@pytest.fixture(scope="module")
def requests_per_validation(emulator: Emulator) -> int:
    """Requests one validation of every kind makes (token + identity probe for exchanges, one
    probe otherwise), counted by proving each sample once outside the engine."""
    emulator.clear_log()
    for case in CASES:
        CredentialProvider(case.kind).create(case.inputs(emulator.base_url))
    return emulator.count()


@pytest.fixture(scope="module")
def requests_per_preview(emulator: Emulator) -> int:
    """The same, for the kinds a preview validates."""
    emulator.clear_log()
    for case in PREVIEWED:
        CredentialProvider(case.kind).create(case.inputs(emulator.base_url))
    return emulator.count()


@pytest.fixture(scope="module")
def stack(emulator: Emulator, engine: dict[str, str]) -> Iterator[EngineStack]:
    stack = EngineStack("preview-validation", program, engine)
    stack.set_config({f"{c.id}-secret": c.secret for c in CASES}, secret=True)
    stack.set_config(
        {f"{c.id}-inputs": json.dumps(c.plain_inputs(emulator.base_url)) for c in CASES}
    )
    stack.set_config({"vendor-credentials:trustedOrigins": emulator.base_url})
    yield stack
    stack.destroy()


def test_preview_with_validation_off_makes_no_vendor_request(
    stack: EngineStack, emulator: Emulator
) -> None:
    stack.set_config({"vendor-credentials:validateOnPreview": "false"})
    emulator.clear_log()
    try:
        outcome = stack.preview()
    finally:
        stack.stack.remove_config("vendor-credentials:validateOnPreview")
    assert outcome.ok, outcome
    assert emulator.count() == 0


def test_preview_of_new_credentials_validates_each_once(
    stack: EngineStack, emulator: Emulator, requests_per_preview: int
) -> None:
    emulator.clear_log()
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert emulator.count() == requests_per_preview


@pytest.mark.parametrize("case", PREVIEWED, ids=str)
def test_preview_with_a_rejected_new_secret_fails_with_the_vendor_reason(
    stack: EngineStack, case: object
) -> None:
    from support.cases import KindCase

    assert isinstance(case, KindCase)
    wrong = "Wrong" + case.secret[5:]
    stack.set_config({f"{case.id}-secret": wrong}, secret=True)
    try:
        outcome = stack.preview()
    finally:
        stack.set_config({f"{case.id}-secret": case.secret}, secret=True)
    assert not outcome.ok
    assert case.secret_input in outcome.text  # the field to fix
    assert "HTTP 401" in outcome.text or "HTTP 400" in outcome.text
    assert wrong not in outcome.text


def test_up_makes_one_validation_per_credential(
    stack: EngineStack, emulator: Emulator, requests_per_validation: int
) -> None:
    emulator.clear_log()
    outcome = stack.up()  # Automation's up: one phase (check, then create in the same process)
    assert outcome.ok, outcome
    assert emulator.count() == requests_per_validation


def test_preview_of_unchanged_credentials_makes_no_vendor_request(
    stack: EngineStack, emulator: Emulator
) -> None:
    emulator.clear_log()
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert emulator.count() == 0


def test_rotation_preview_prints_neither_secret(stack: EngineStack, emulator: Emulator) -> None:
    case = CASES[0]
    new_secret = emulator.rotate(case.emulator_key)
    stack.set_config({f"{case.id}-secret": new_secret}, secret=True)
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert outcome.changes.get("update") == 1
    assert "~ fingerprint" in outcome.text
    assert case.secret not in outcome.text
    assert new_secret not in outcome.text
