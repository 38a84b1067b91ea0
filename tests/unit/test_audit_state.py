"""Reading exported state and stack history into the audit's model, from hand-made JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from vendor_credentials.audit.model import HIDDEN
from vendor_credentials.audit.stacks import SECRET_SIG, parse_deployment, refresh_time

SECRET = "tok_live_do-not-print-me-0123456789"
STACK_URN = "urn:pulumi:prod::app::pulumi:pulumi:Stack::app-prod"
TYPE = "pulumi-python:dynamic/vendor-credentials:IntercomAccessToken"


def encrypted() -> dict[str, str]:
    return {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc:def"}


def decrypted(value: str) -> dict[str, str]:
    return {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(value)}


def resource(name: str, secret: Any, parent: str = STACK_URN, **extra: Any) -> dict[str, Any]:
    outputs = {
        "access_token": secret,
        "region": "eu",
        "base_url": "",
        "kind": "intercom.AccessToken",
        "status": "valid",
        "status_reason": "",
        "identity": {"workspace_id": "ws1", "region": "eu"},
        "fingerprint": "fp1:0123456789abcdef",
        "validated_at": "2025-06-01T10:00:00Z",
        "expires_at": "",
        "scopes": [],
    }
    return {
        "urn": f"urn:pulumi:prod::app::{TYPE}::{name}",
        "type": TYPE,
        "parent": parent,
        "outputs": outputs,
        **extra,
    }


def deployment(*resources: dict[str, Any]) -> dict[str, Any]:
    stack = {"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "outputs": {}}
    return {"resources": [stack, *resources]}


def test_only_vendor_credential_resources_are_read() -> None:
    creds, _ = parse_deployment(deployment(resource("intercom-eu", encrypted())))
    assert [(c.name, c.kind, c.status) for c in creds] == [
        ("intercom-eu", "intercom.AccessToken", "valid")
    ]


def test_plain_outputs_become_the_credential_fields() -> None:
    (cred,), _ = parse_deployment(deployment(resource("intercom-eu", encrypted())))
    assert cred.fingerprint == "fp1:0123456789abcdef"
    assert cred.identity == {"region": "eu", "workspace_id": "ws1"}
    assert cred.region == "eu"
    assert cred.validated_at == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert cred.expires_at is None


def test_revealed_secret_stays_out_of_the_credential() -> None:
    creds, _ = parse_deployment(deployment(resource("x", decrypted(SECRET))), reveal=True)
    assert SECRET not in repr(creds)


def test_reveal_hands_decrypted_outputs_to_the_live_check_by_urn() -> None:
    res = resource("x", decrypted(SECRET))
    _, revealed = parse_deployment(deployment(res), reveal=True)
    assert revealed[res["urn"]]["access_token"] == SECRET


def test_an_output_kept_secret_shows_as_hidden() -> None:
    res = resource("x", encrypted())
    res["outputs"]["identity"] = {"workspace_id": encrypted(), "region": "eu"}
    (cred,), _ = parse_deployment(deployment(res))
    assert cred.identity["workspace_id"] == HIDDEN


def test_resources_pending_deletion_are_skipped() -> None:
    creds, _ = parse_deployment(deployment(resource("old", encrypted(), delete=True)))
    assert creds == ()


def test_nested_credentials_are_named_after_their_component() -> None:
    component = {
        "urn": "urn:pulumi:prod::app::acme:Support::support",
        "type": "acme:Support",
        "parent": STACK_URN,
    }
    nested = resource("token", encrypted(), parent=component["urn"])
    (cred,), _ = parse_deployment(deployment(component, nested))
    assert cred.name == "support/token"


# -- history -------------------------------------------------------------------------------------
def entry(
    kind: str, result: str = "succeeded", end: str = "2025-06-01T10:00:00Z", **flags: str
) -> dict[str, Any]:
    return {"kind": kind, "result": result, "endTime": end, "environment": flags}


def test_newest_successful_refresh_is_the_last_proof() -> None:
    entries = [
        entry("refresh", end="2025-06-02T10:00:00Z"),
        entry("refresh", end="2025-06-01T10:00:00Z"),
    ]
    assert refresh_time(entries) == datetime(2025, 6, 2, 10, tzinfo=UTC)


def test_up_with_refresh_counts_as_a_refresh() -> None:
    entries = [entry("update", **{"pulumi.flag.refresh": "set"})]
    assert refresh_time(entries) == datetime(2025, 6, 1, 10, tzinfo=UTC)


def test_failed_plain_or_targeted_operations_are_no_proof() -> None:
    entries = [
        entry("refresh", result="failed"),
        entry("update"),
        entry("refresh", **{"pulumi.flag.target": "set"}),
    ]
    assert refresh_time(entries) is None
