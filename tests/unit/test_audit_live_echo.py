"""`audit --live` redacts with the check's own redactor: a vendor that echoes the access token it
just issued (or the secret) gets nothing into the report, for every kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.cases import CASES, VendorCase
from support.leaks import leaks
from vendor_credentials.audit.live import check_one
from vendor_credentials.audit.model import Credential
from vendor_credentials.emulator import Emulator


@pytest.fixture(scope="module")
def vendor() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize(
    "fault", ["echo_issued_token", "echo_after_preamble", "echo_authorization"]
)
def test_live_check_masks_what_the_vendor_echoes(
    vendor: Emulator, case: VendorCase, fault: str
) -> None:
    outputs = {case.secret_input: case.secret, **case.plain, "base_url": vendor.base_url}
    cred = Credential(name=case.id, kind=case.kind, status="valid")
    vendor.inject(fault)
    try:
        checked = check_one(cred, outputs, frozenset({vendor.base_url}))
    finally:
        vendor.clear_faults()
    assert checked.status == "invalid" or checked.live_error, checked
    secrets = {"secret": case.secret, **{f"issued-{t}": t for t in vendor.issued_tokens()}}
    shown = [checked.status_reason, checked.live_error, *checked.identity.values()]
    assert leaks(secrets, shown) == []
