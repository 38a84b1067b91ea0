"""A refresh that finds a credential revoked keeps whose it is and when it was last valid."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vendor_credentials.core.provider import CredentialProvider
from vendor_credentials.emulator import DEMO_CREDENTIALS, DEMO_IDENTITIES, Emulator

KIND = "intercom.AccessToken"
TOKEN = DEMO_CREDENTIALS["intercom_eu"]["access_token"]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as server:
        yield server


def created(emulator: Emulator) -> dict[str, Any]:
    provider = CredentialProvider(KIND)
    result = provider.create({"access_token": TOKEN, "region": "eu", "base_url": emulator.base_url})
    return dict(result.outs or {})


def test_revoked_keeps_identity_and_last_valid_at(emulator: Emulator) -> None:
    stored = created(emulator)
    assert stored["last_valid_at"] == stored["validated_at"] != ""
    emulator.revoke("intercom_eu")
    outs = CredentialProvider(KIND).read("id", stored).outs or {}
    assert outs["status"] == "invalid"
    assert "Access Token Invalid" in outs["status_reason"]
    assert outs["identity"] == stored["identity"]
    assert outs["identity"]["workspace_id"] == DEMO_IDENTITIES["intercom_eu"]["workspace_id"]
    assert outs["last_valid_at"] == stored["validated_at"]
    assert outs["validated_at"] == ""
    again = CredentialProvider(KIND).read("id", outs).outs or {}
    assert again == outs  # still revoked: the same answer, nothing more lost


def test_state_from_before_last_valid_at_reads_without_a_diff_of_its_own(
    emulator: Emulator,
) -> None:
    old = created(emulator)
    del old["last_valid_at"]  # as 0.1.0 stored it
    outs = CredentialProvider(KIND).read("id", old).outs or {}
    assert {k: v for k, v in outs.items() if k != "last_valid_at"} == old
    assert outs["last_valid_at"] == old["validated_at"]
    emulator.revoke("intercom_eu")
    revoked = CredentialProvider(KIND).read("id", old).outs or {}
    assert revoked["last_valid_at"] == old["validated_at"]
    assert revoked["identity"] == old["identity"]
