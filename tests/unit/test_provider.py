"""The provider's decisions, one function at a time (no engine, no network)."""

from __future__ import annotations

import pickle
from typing import Any

import dill
import pytest

from vendor_credentials.core.fingerprint import fingerprint
from vendor_credentials.core.inputs import UNKNOWN
from vendor_credentials.core.provider import CredentialProvider
from vendor_credentials.core.redact import MASK, Redactor

INTERCOM = "intercom.AccessToken"
TALKDESK = "talkdesk.ClientCredential"
TOKEN = "tok_0123456789abcdefghij"


def stored_outputs(**overrides: Any) -> dict[str, Any]:
    """Outputs as create stores them for an Intercom token without base_url."""
    outputs: dict[str, Any] = {
        "access_token": TOKEN,
        "region": "us",
        "description": "",
        "base_url": "",
        "vendor": "intercom",
        "kind": INTERCOM,
        "status": "valid",
        "status_reason": "",
        "identity": {"workspace_id": "abc"},
        "fingerprint": fingerprint(INTERCOM, None, TOKEN),
        "validated_at": "2026-11-30T00:00:00Z",
        "expires_at": "",
        "scopes": [],
    }
    outputs.update(overrides)
    return outputs


def test_unknown_uuid_matches_the_sdk_sentinel() -> None:
    from pulumi.runtime import rpc

    assert rpc.UNKNOWN == UNKNOWN


def test_check_reports_one_failure_per_bad_field_without_the_value() -> None:
    provider = CredentialProvider(TALKDESK)
    result = provider.check(
        {},
        {"account_name": "evil.example/x#", "client_id": "", "client_secret": " s3cr3t-value "},
    )
    fields = sorted(f.property for f in result.failures)
    assert fields == ["account_name", "client_id", "client_secret"]
    assert all("s3cr3t-value" not in f.reason for f in result.failures)


def test_check_lets_unknown_values_pass_during_preview() -> None:
    provider = CredentialProvider(INTERCOM)
    result = provider.check({}, {"access_token": UNKNOWN, "region": "eu"})
    assert result.failures == []


def test_spec_from_stored_outputs_ignores_the_empty_base_url() -> None:
    spec = CredentialProvider(INTERCOM)._spec(stored_outputs())
    assert spec.base_url is None


def test_spec_from_stored_outputs_reads_requested_scopes_not_granted_ones() -> None:
    outputs = {
        "account_name": "acme",
        "client_id": "cid",
        "client_secret": "secret-value-123",
        "requested_scopes": ["account:read"],
        "scopes": ["account:read", "users:read"],
        "status": "valid",
    }
    spec = CredentialProvider(TALKDESK)._spec(outputs)
    assert spec.scopes == ["account:read"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("news", "changes", "replaces"),
    [
        ({"access_token": TOKEN, "region": "us"}, False, []),
        ({"access_token": TOKEN + "x", "region": "us"}, True, []),
        ({"access_token": TOKEN, "region": "eu"}, True, ["region"]),
        ({"access_token": TOKEN, "region": "us", "description": "new"}, True, []),
        ({"access_token": UNKNOWN, "region": "us"}, True, []),
    ],
    ids=["same", "rotated", "region", "description", "unknown-secret"],
)
def test_diff_decides_update_or_replace(
    news: dict[str, Any], changes: bool, replaces: list[str]
) -> None:
    result = CredentialProvider(INTERCOM).diff("id", stored_outputs(), news)
    assert result.changes is changes
    assert result.replaces == replaces


def test_diff_ignores_provider_blob_timestamps_and_identity_order() -> None:
    olds = stored_outputs(identity={"b": "2", "a": "1"}, __provider="old-pickle")
    news = {"access_token": TOKEN, "region": "us", "__provider": "new-pickle"}
    assert CredentialProvider(INTERCOM).diff("id", olds, news).changes is False


def test_diff_asks_for_an_update_after_a_refresh_found_it_invalid() -> None:
    olds = stored_outputs(status="invalid", status_reason="unauthorized")
    result = CredentialProvider(INTERCOM).diff("id", olds, {"access_token": TOKEN, "region": "us"})
    assert result.changes is True


def test_provider_pickles_by_reference_holding_only_its_kind() -> None:
    blob = dill.dumps(CredentialProvider(INTERCOM), protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert b"vendor_credentials.core.provider" in blob
    assert len(blob) < 256
    assert dill.loads(blob).kind == INTERCOM


def test_a_0_1_pickle_naming_validate_in_check_still_loads() -> None:
    """Pickles written by 0.1 for an update carry ``validate_in_check`` in their __dict__."""
    written_by_0_1 = CredentialProvider.__new__(CredentialProvider)
    written_by_0_1.__dict__.update(kind=INTERCOM, validate_in_check=False)
    old = dill.dumps(written_by_0_1, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert b"validate_in_check" in old
    loaded = dill.loads(old)
    assert loaded.kind == INTERCOM
    assert loaded.program_is_preview is False
    assert "validate_in_check" not in vars(loaded)
    assert dill.loads(dill.dumps(CredentialProvider(INTERCOM))).program_is_preview is True


def test_redactor_masks_plain_base64_and_basic_forms() -> None:
    import base64

    redact = Redactor([TOKEN])
    redact.add_basic("client", "pa55word-long")
    basic = base64.b64encode(b"client:pa55word-long").decode()
    text = redact(f"got {TOKEN} and {base64.b64encode(TOKEN.encode()).decode()} and {basic}")
    assert TOKEN not in text and basic not in text
    assert text.count(MASK) == 3


def test_refresh_of_stored_inputs_that_fail_validation_never_quotes_them() -> None:
    """pydantic's ``input_value='...'`` shows the head and tail of a long secret."""
    from support.leaks import leaks

    secret = "LeakCanaryStoredToken" + "0123456789abcdef" * 5 + " "  # white space: invalid
    provider = CredentialProvider(INTERCOM)
    with pytest.raises(Exception) as failure:
        provider.read("id", stored_outputs(access_token=secret))
    message = str(failure.value)
    assert "input_value" not in message
    assert "access_token has leading or trailing white space" in message
    assert leaks({"secret": secret.strip()}, [message]) == []
