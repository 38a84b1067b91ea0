"""The audit never misses a shared secret silently: fingerprints it cannot compare are a finding."""

from __future__ import annotations

from datetime import UTC, datetime

from vendor_credentials.audit.findings import find
from vendor_credentials.audit.model import Credential, Finding, Options, Stack
from vendor_credentials.core.fingerprint import fingerprint, key_id

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KIND = "helpscout.DocsApiKey"
SECRET = "e42878a511f92cd49d203aa91fa39a2ab1820bde"
TEAM = "team-key-Zq8vN2rLx0pW4sYt"
OTHER_TEAM = "other-key-Hk3mQ9tRw2yVz7Lb"
OLD = "fp1:0123456789abcdef"


def stack(name: str, *fingerprints: str) -> Stack:
    creds = tuple(
        Credential(f"cred-{i}", KIND, "valid", fingerprint=fp, validated_at=NOW)
        for i, fp in enumerate(fingerprints)
    )
    return Stack(name, f"organization/app/{name}", creds)


def findings(*stacks: Stack) -> list[Finding]:
    return find(list(stacks), Options(), NOW)


def incomparable(*stacks: Stack) -> list[Finding]:
    return [f for f in findings(*stacks) if f.code == "fingerprints_incomparable"]


def test_one_key_everywhere_compares_and_finds_the_shared_secret() -> None:
    shared = fingerprint(KIND, TEAM, SECRET)
    assert [f.code for f in findings(stack("dev", shared), stack("prod", shared))] == [
        "shared_secret"
    ]


def test_different_team_keys_are_a_warning_naming_stacks_keys_and_the_fix() -> None:
    dev = stack("dev", fingerprint(KIND, TEAM, SECRET))
    prod = stack("prod", fingerprint(KIND, OTHER_TEAM, SECRET))  # the same secret, unseen
    found = findings(dev, prod)
    assert [f.code for f in found] == ["fingerprints_incomparable"]
    warning = found[0]
    assert warning.severity == "warning" and warning.stacks == ("dev", "prod")
    assert key_id(TEAM) in warning.message and key_id(OTHER_TEAM) in warning.message
    assert "vendor-credentials:fingerprintKey" in warning.message
    assert "pulumi up" in warning.message
    assert TEAM not in warning.message and SECRET not in warning.message


def test_public_key_against_team_key_cannot_be_compared() -> None:
    dev = stack("dev", fingerprint(KIND, None, SECRET))
    prod = stack("prod", fingerprint(KIND, TEAM, SECRET))
    (warning,) = incomparable(dev, prod)
    assert "public key" in warning.message


def test_old_fp1_state_next_to_fp2_cannot_be_compared() -> None:
    (warning,) = incomparable(stack("dev", OLD), stack("prod", fingerprint(KIND, None, SECRET)))
    assert "fp1" in warning.message


def test_a_stack_half_upgraded_is_incomparable_with_itself_s_partner() -> None:
    dev = stack("dev", OLD, fingerprint(KIND, TEAM, "another-secret-value-0123456789"))
    prod = stack("prod", fingerprint(KIND, TEAM, SECRET))
    assert len(incomparable(dev, prod)) == 1


def test_only_production_and_non_production_pairs_matter() -> None:
    staging = stack("staging", fingerprint(KIND, None, SECRET))
    dev = stack("dev", fingerprint(KIND, TEAM, SECRET))
    prod = stack("prod", fingerprint(KIND, TEAM, "prod-secret-value-0123456789abc"))
    # dev and staging are never compared by shared_secret: no warning for them alone
    assert incomparable(dev, staging) == []
    (warning,) = incomparable(dev, staging, prod)
    assert warning.stacks == ("staging", "prod")


def test_same_old_scheme_everywhere_still_compares() -> None:
    assert incomparable(stack("dev", OLD), stack("prod", OLD)) == []
