"""Previews validate new and changed credentials with their vendors, once; a setting turns it off.

One stack declares all four kinds (support.cases); the emulator's request log counts requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest

from support.cases import CASES
from support.stacks import EngineStack
from vendor_credentials.emulator import Emulator

# Requests one validation makes: token + identity probe for exchanges, one probe otherwise.
REQUESTS_PER_VALIDATION = {
    "helpscout-mailbox": 2,
    "helpscout-docs": 1,
    "intercom": 1,
    "talkdesk": 2,  # token + GET /account (the seeded client has account:read)
}
VENDOR_OF = {
    "helpscout-mailbox": "helpscout_mailbox",
    "helpscout-docs": "helpscout_docs",
    "intercom": "intercom",
    "talkdesk": "talkdesk",
}


def program() -> None:
    cfg = pulumi.Config()
    for case in CASES:
        args: dict[str, object] = {case.secret_input: cfg.require_secret(f"{case.id}-secret")}
        args.update(case.plain)
        args["base_url"] = cfg.require("base_url")
        case.build(case.id, args)


@pytest.fixture(scope="module")
def stack(emulator: Emulator, engine: dict[str, str]) -> Iterator[EngineStack]:
    stack = EngineStack("preview-validation", program, engine)
    stack.set_config({f"{c.id}-secret": c.secret for c in CASES}, secret=True)
    stack.set_config(
        {"base_url": emulator.base_url, "vendor-credentials:trustedOrigins": emulator.base_url}
    )
    yield stack
    stack.destroy()


def requests_per_case(emulator: Emulator) -> dict[str, int]:
    return {case.id: emulator.count(vendor=VENDOR_OF[case.id]) for case in CASES}


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
    stack: EngineStack, emulator: Emulator
) -> None:
    emulator.clear_log()
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert requests_per_case(emulator) == REQUESTS_PER_VALIDATION


@pytest.mark.parametrize("case", CASES, ids=str)
def test_preview_with_a_rejected_new_secret_fails_with_the_vendor_reason(
    stack: EngineStack, case: object
) -> None:
    from support.cases import VendorCase

    assert isinstance(case, VendorCase)
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


def test_up_makes_one_validation_per_credential(stack: EngineStack, emulator: Emulator) -> None:
    emulator.clear_log()
    outcome = stack.up()  # Automation's up: one phase (check, then create in the same process)
    assert outcome.ok, outcome
    assert requests_per_case(emulator) == REQUESTS_PER_VALIDATION


def test_preview_of_unchanged_credentials_makes_no_vendor_request(
    stack: EngineStack, emulator: Emulator
) -> None:
    emulator.clear_log()
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert emulator.count() == 0


def test_rotation_preview_prints_neither_secret(stack: EngineStack, emulator: Emulator) -> None:
    case = next(c for c in CASES if c.id == "helpscout-mailbox")
    new_secret = emulator.rotate("helpscout_mailbox")
    stack.set_config({f"{case.id}-secret": new_secret}, secret=True)
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert outcome.changes.get("update") == 1
    assert "~ fingerprint" in outcome.text
    assert case.secret not in outcome.text
    assert new_secret not in outcome.text
