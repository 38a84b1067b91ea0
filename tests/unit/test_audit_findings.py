"""The audit's findings, from hand-made stacks: no engine, no vendor, a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from support.cases import CASES, KindCase
from vendor_credentials.audit.findings import find, notes, rows
from vendor_credentials.audit.model import (
    Credential,
    Finding,
    Options,
    Report,
    Stack,
    format_duration,
    parse_duration,
)
from vendor_credentials.core.fingerprint import fingerprint

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def cred(name: str = "intercom-eu", fp: str = "fp1:0000000000000001", **kw: Any) -> Credential:
    """A valid Intercom token proved an hour ago, unless told otherwise."""
    base = Credential(
        name=name,
        kind="intercom.AccessToken",
        status="valid",
        identity={"workspace_id": "ws1", "region": "eu", "admin_email": "a@example.com"},
        region="eu",
        fingerprint=fp,
        validated_at=NOW - HOUR,
    )
    return replace(base, **kw)


def stack(name: str, *creds: Credential, last_refresh: datetime | None = None) -> Stack:
    return Stack(name, f"organization/app/{name}", tuple(creds), last_refresh)


def dev_prod(dev: Credential, prod: Credential) -> list[Stack]:
    return [stack("dev", dev), stack("prod", prod)]


def findings(stacks: list[Stack], **options: Any) -> list[Finding]:
    return find(stacks, Options(**options), NOW)


def codes(stacks: list[Stack], **options: Any) -> list[str]:
    return [f.code for f in findings(stacks, **options)]


def only(stacks: list[Stack], code: str, **options: Any) -> Finding:
    matching = [f for f in findings(stacks, **options) if f.code == code]
    assert len(matching) == 1, findings(stacks, **options)
    return matching[0]


def report(stacks: list[Stack], **options: Any) -> Report:
    opts = Options(**options)
    return Report(
        "app",
        "state",
        NOW,
        opts,
        tuple(stacks),
        tuple(rows(stacks)),
        tuple(find(stacks, opts, NOW)),
    )


# -- agreement -----------------------------------------------------------------------------------
def test_matching_stacks_with_distinct_secrets_have_no_findings() -> None:
    stacks = dev_prod(cred(fp="fp1:aaaaaaaaaaaaaaaa"), cred(fp="fp1:bbbbbbbbbbbbbbbb"))
    assert findings(stacks) == []
    assert report(stacks).exit_code == 0


def test_different_workspaces_per_environment_are_expected() -> None:
    prod = cred(fp="fp1:b", identity={"workspace_id": "ws-prod", "region": "eu"})
    assert findings(dev_prod(cred(fp="fp1:a"), prod)) == []


def test_rows_pair_credentials_by_name_and_kind_in_name_order() -> None:
    stacks = [stack("dev", cred("b"), cred("a")), stack("prod", cred("a", fp="fp1:2"))]
    table = rows(stacks)
    assert [r.name for r in table] == ["a", "b"]
    assert table[1].cells["prod"] is None


# -- presence ------------------------------------------------------------------------------------
def test_credential_missing_from_one_stack_is_a_warning_naming_it() -> None:
    stacks = [stack("dev", cred(), cred("legacy", fp="fp1:9")), stack("prod", cred(fp="fp1:2"))]
    finding = only(stacks, "missing")
    assert finding.severity == "warning"
    assert finding.credential == "legacy"
    assert finding.stacks == ("prod",)
    assert "in dev but missing from prod" in finding.message


def test_same_name_with_another_kind_is_a_kind_mismatch_not_missing() -> None:
    talkdesk = cred(kind="talkdesk.ClientCredential", fp="fp1:2")
    stacks = dev_prod(cred(), talkdesk)
    assert codes(stacks) == ["kind_mismatch"]
    finding = only(stacks, "kind_mismatch")
    assert finding.severity == "error"
    assert "intercom.AccessToken in dev" in finding.message
    assert "talkdesk.ClientCredential in prod" in finding.message


# -- status --------------------------------------------------------------------------------------
def test_invalid_credential_is_an_error_with_the_vendors_reason() -> None:
    revoked = cred(fp="fp1:2", status="invalid", status_reason="unauthorized: Access Token Invalid")
    finding = only(dev_prod(cred(), revoked), "invalid")
    assert finding.severity == "error"
    assert finding.stacks == ("prod",)
    assert "unauthorized: Access Token Invalid" in finding.message


def test_live_rejection_of_a_credential_state_calls_valid_says_to_refresh() -> None:
    live = cred(fp="fp1:2", status="invalid", source="live", stored_status="valid", checked_at=NOW)
    finding = only(dev_prod(cred(), live), "invalid")
    assert "live check" in finding.message
    assert "pulumi refresh" in finding.message


def test_live_check_without_an_answer_is_a_warning_not_a_status() -> None:
    unanswered = cred(fp="fp1:2", source="live", stored_status="valid", live_error="timed out")
    finding = only(dev_prod(cred(), unanswered), "live_check_failed")
    assert finding.severity == "warning"
    assert "timed out" in finding.message
    assert "invalid" not in codes(dev_prod(cred(), unanswered))


def test_live_acceptance_of_a_credential_state_calls_invalid_is_info() -> None:
    back = cred(fp="fp1:2", source="live", stored_status="invalid", checked_at=NOW)
    assert only(dev_prod(cred(), back), "state_outdated").severity == "info"


def test_unknown_status_is_a_warning_to_upgrade() -> None:
    odd = cred(fp="fp1:2", status="suspended")
    assert "upgrade" in only(dev_prod(cred(), odd), "unknown_status").message


def test_valid_credential_without_api_access_is_a_warning() -> None:
    mailbox = cred(
        "mailbox",
        kind="helpscout.MailboxCredential",
        identity={"app_id": "1", "api_access": "none"},
    )
    assert only([stack("prod", mailbox)], "no_api_access").stacks == ("prod",)


# -- identity ------------------------------------------------------------------------------------
def test_region_that_differs_between_stacks_is_a_warning() -> None:
    us = cred(fp="fp1:2", region="us", identity={"region": "us"})
    finding = only(dev_prod(cred(), us), "region_mismatch")
    assert finding.severity == "warning"
    assert "eu in dev" in finding.message
    assert "us in prod" in finding.message


def test_granted_scopes_that_differ_are_info() -> None:
    dev = cred(kind="talkdesk.ClientCredential", scopes=("account:read",))
    prod = cred(kind="talkdesk.ClientCredential", fp="fp1:2", scopes=("account:read", "x:y"))
    assert only(dev_prod(dev, prod), "scopes_mismatch").severity == "info"


# -- shared secrets ------------------------------------------------------------------------------
def test_same_fingerprint_in_production_and_non_production_is_an_error() -> None:
    finding = only(dev_prod(cred(fp="fp1:same"), cred(fp="fp1:same")), "shared_secret")
    assert finding.severity == "error"
    assert finding.stacks == ("dev", "prod")
    assert "fp1:same" in finding.message


def test_same_fingerprint_between_two_non_production_stacks_is_fine() -> None:
    stacks = [stack("dev", cred(fp="fp1:same")), stack("staging", cred(fp="fp1:same"))]
    assert "shared_secret" not in codes(stacks)


def test_shared_secret_under_different_names_names_both_credentials() -> None:
    stacks = [stack("dev", cred("sandbox", fp="fp1:same")), stack("prod", cred(fp="fp1:same"))]
    finding = only(stacks, "shared_secret")
    assert finding.credential == "intercom-eu, sandbox"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_shared_secret_is_found_for_every_kind(case: KindCase) -> None:
    """The check reads fingerprints only: every kind (generic ones included) is covered."""
    same = fingerprint(case.kind, None, case.secret)
    kinded = cred(case.id, kind=case.kind, identity=dict(case.sample.identity), fp=same)
    finding = only(dev_prod(kinded, kinded), "shared_secret")
    assert finding.kind == case.kind and finding.stacks == ("dev", "prod")


def test_production_stacks_are_chosen_by_the_pattern() -> None:
    stacks = [stack("preprod", cred(fp="fp1:same")), stack("prod", cred(fp="fp1:same"))]
    assert "shared_secret" not in codes(stacks)  # default 'prod': both are production
    assert "shared_secret" in codes(stacks, prod_pattern="^prod")


# -- freshness -----------------------------------------------------------------------------------
def test_validation_older_than_max_age_is_a_warning() -> None:
    old = cred(fp="fp1:2", validated_at=NOW - 8 * DAY)
    finding = only(dev_prod(cred(), old), "stale_validation")
    assert finding.severity == "warning"
    assert finding.stacks == ("prod",)
    assert "8d ago" in finding.message


def test_a_later_successful_refresh_counts_as_proof() -> None:
    old = cred(fp="fp1:2", validated_at=NOW - 30 * DAY)
    stacks = [stack("dev", cred()), stack("prod", old, last_refresh=NOW - DAY)]
    assert "stale_validation" not in codes(stacks)


def test_max_age_is_configurable() -> None:
    stacks = dev_prod(cred(), cred(fp="fp1:2", validated_at=NOW - 3 * HOUR))
    assert "stale_validation" not in codes(stacks)
    assert "stale_validation" in codes(stacks, max_age=2 * HOUR)


def test_invalid_credential_is_not_also_reported_stale() -> None:
    revoked = cred(fp="fp1:2", status="invalid", validated_at=None)
    assert codes(dev_prod(cred(), revoked)) == ["invalid"]


# -- expiry --------------------------------------------------------------------------------------
def test_expired_exchanged_token_is_not_a_finding() -> None:
    talkdesk = cred(
        kind="talkdesk.ClientCredential",
        validated_at=NOW - 2 * HOUR,
        expires_at=NOW - 2 * HOUR + timedelta(minutes=10),
    )
    assert findings([stack("prod", talkdesk)]) == []


def test_secret_expiring_within_the_window_is_a_warning() -> None:
    expiring = cred(kind="example.ExpiringKey", expires_at=NOW + 5 * HOUR)
    finding = only([stack("prod", expiring)], "expiring")
    assert finding.severity == "warning"
    assert "expires in 5h" in finding.message


def test_secret_expiring_after_the_window_is_fine() -> None:
    later = cred(kind="example.ExpiringKey", expires_at=NOW + 3 * DAY)
    assert findings([stack("prod", later)]) == []
    assert codes([stack("prod", later)], expiry_window=4 * DAY) == ["expiring"]


def test_secret_already_expired_is_an_error() -> None:
    expired = cred(kind="example.ExpiringKey", expires_at=NOW - HOUR)
    assert only([stack("prod", expired)], "expired").severity == "error"


# -- report --------------------------------------------------------------------------------------
def test_findings_are_ordered_most_severe_first() -> None:
    stacks = [
        stack("dev", cred(fp="fp1:same"), cred("legacy", fp="fp1:9")),
        stack("prod", cred(fp="fp1:same")),
    ]
    assert [f.severity for f in findings(stacks)] == ["error", "warning"]


def test_fail_on_error_ignores_warnings_for_the_exit_code() -> None:
    stacks = [stack("dev", cred(), cred("legacy", fp="fp1:9")), stack("prod", cred(fp="fp1:2"))]
    assert report(stacks).exit_code == 1
    assert report(stacks, fail_on="error").exit_code == 0


def test_note_when_no_stack_is_production() -> None:
    said = notes([stack("dev", cred()), stack("staging", cred())], Options())
    assert any("--prod-pattern" in note for note in said)


def test_note_when_a_stack_holds_no_credentials() -> None:
    said = notes([stack("dev", cred()), stack("prod")], Options())
    assert "stack 'prod' holds no vendor credentials" in said


# -- durations -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", 7 * DAY), ("24h", DAY), ("90m", 90 * timedelta(minutes=1)), ("1d12h", 36 * HOUR)],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_plain_number_duration_is_seconds() -> None:
    assert parse_duration("90") == timedelta(seconds=90)


@pytest.mark.parametrize("text", ["", "7x", "d7", "1.5d", "-1d"])
def test_bad_durations_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 30m"):
        parse_duration(text)


def test_durations_format_with_two_units() -> None:
    assert format_duration(36 * HOUR + timedelta(minutes=5)) == "1d 12h"


def test_a_broken_refresh_token_chain_names_the_login_with_the_stack_and_nothing_else() -> None:
    from vendor_credentials.helpscout.authorization import MailboxAuthorizationKind

    reason = f"invalid_grant: Invalid refresh_token. {MailboxAuthorizationKind.login_hint}"
    broken = cred(
        name="helpscout-auth",
        kind="helpscout.MailboxAuthorization",
        status="invalid",
        status_reason=reason,
    )
    valid = cred(name="helpscout-auth", kind="helpscout.MailboxAuthorization")
    finding = only(dev_prod(valid, broken), "invalid")
    assert (
        "vendor-credentials login helpscout <App ID> --stack prod --config-key" in finding.message
    )
    assert "<stack>" not in finding.message
    assert "put a working secret" not in finding.message
