"""No secret leaks: state, `__provider`, CLI output, errors and logs, for every kind.

Fresh secrets (every kind's sample, rotated) and a sentinel `fingerprintKey` go through preview
-> up -> refresh -> refresh after revocation -> update with a rejected secret (and a vendor that
echoes it back) -> destroy, with `--diff` and the provider's debug logging on. Every byte those
commands print or write is kept and grepped, in plain text and in the encodings a secret travels
in (base64, URL encoding).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pulumi
import pytest

from support.cases import CASES
from support.stacks import EngineStack
from vendor_credentials.core.fingerprint import key_id
from vendor_credentials.emulator import Emulator

REJECTED = "LeakCanaryRejectedSecret3c5e7a9b1d2f4e"
TEAM_KEY = "LeakCanaryFingerprintKey8c1e5a7d3b9f2e"  # vendor-credentials:fingerprintKey


def encodings(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
    }


def program() -> None:
    cfg = pulumi.Config()
    for case in CASES:
        args = dict(cfg.require_object(f"{case.id}-inputs"))
        args[case.secret_input] = cfg.require_secret(f"{case.id}-secret")
        pulumi.export(f"{case.id}-status", case.build(case.id, args).status)


@dataclass
class LeakRun:
    stack: EngineStack
    emulator: Emulator
    secrets: dict[str, str]  # case id -> the valid secret
    forbidden: set[str] = field(default_factory=set)

    def leaks_in(self, text: str) -> list[str]:
        return sorted(s for s in self.forbidden if s in text)


@pytest.fixture(scope="module")
def run(emulator: Emulator, engine: dict[str, str]) -> Iterator[LeakRun]:
    """Every kind's sample, its secret rotated to a fresh one this module alone knows."""
    secrets = {case.id: emulator.rotate(case.emulator_key) for case in CASES}
    env = {**engine, "VENDOR_CREDENTIALS_LOG_LEVEL": "debug"}
    stack = EngineStack("leaks", program, env)
    stack.set_config({f"{c.id}-secret": secrets[c.id] for c in CASES}, secret=True)
    stack.set_config(
        {f"{c.id}-inputs": json.dumps(c.plain_inputs(emulator.base_url)) for c in CASES}
    )
    stack.set_config({"vendor-credentials:fingerprintKey": TEAM_KEY}, secret=True)
    stack.set_config({"vendor-credentials:trustedOrigins": emulator.base_url})
    leak_run = LeakRun(stack, emulator, secrets)
    for secret in [*secrets.values(), REJECTED, TEAM_KEY]:
        leak_run.forbidden |= encodings(secret)
    yield leak_run
    stack.destroy()


def test_preview_up_and_refresh_succeed(run: LeakRun) -> None:
    assert run.stack.preview().ok
    up = run.stack.up(log_verbosity=9, log_to_std_err=True, debug=True)
    assert up.ok, up
    assert set(up.outputs.values()) == {"valid"}
    assert run.stack.refresh().ok


def test_refresh_after_revocation_marks_them_invalid(run: LeakRun) -> None:
    for case in CASES:
        run.emulator.revoke(case.emulator_key)
    outcome = run.stack.refresh(log_verbosity=9, log_to_std_err=True)
    run.emulator.restore()
    assert outcome.ok, outcome
    assert {c["outputs"]["status"] for c in run.stack.credentials()} == {"invalid"}
    assert run.stack.up().ok  # valid again once restored


def test_update_with_rejected_secret_fails_without_echoing_it(run: LeakRun) -> None:
    run.stack.set_config({f"{c.id}-secret": REJECTED for c in CASES}, secret=True)
    outcome = run.stack.up(log_verbosity=9, log_to_std_err=True)
    assert not outcome.ok
    assert "rejected" in outcome.text


def test_vendor_echoing_the_secret_is_redacted(run: LeakRun) -> None:
    run.emulator.inject("echo_secret", times=len(CASES) * 4)
    outcome = run.stack.up()
    run.emulator.clear_faults()
    run.stack.set_config({f"{c.id}-secret": run.secrets[c.id] for c in CASES}, secret=True)
    assert not outcome.ok
    assert "[REDACTED]" in outcome.text


def test_issued_access_tokens_are_forbidden_too(run: LeakRun) -> None:
    issued = run.emulator.issued_tokens()
    assert issued, "the exchanges must have issued tokens"
    for token in issued:
        run.forbidden |= encodings(token)


def test_no_sentinel_in_any_captured_output(run: LeakRun) -> None:
    transcript = "\n".join(run.stack.transcript)
    assert run.leaks_in(transcript) == []
    assert f"validating {CASES[-1].kind}" in transcript  # provider debug logs captured


def test_raw_state_file_has_no_sentinel(run: LeakRun) -> None:
    text = run.stack.state_file().read_text()
    assert run.leaks_in(text) == []
    assert "ciphertext" in text


def test_stack_export_has_no_sentinel(run: LeakRun) -> None:
    exported = run.stack.cli("stack", "export")
    assert exported.ok, exported
    assert run.leaks_in(exported.text) == []


def test_stack_export_show_secrets_has_them_all(run: LeakRun) -> None:
    exported = run.stack.cli("stack", "export", "--show-secrets")
    assert exported.ok, exported
    for name, secret in run.secrets.items():
        assert secret in exported.text, f"{name} is not tracked in state"
    assert TEAM_KEY in exported.text  # the default provider keeps the config: as ciphertext
    fingerprints = {c["outputs"]["fingerprint"] for c in run.stack.credentials()}
    assert {fp.split(":")[1] for fp in fingerprints} == {key_id(TEAM_KEY)}  # keyed by it
    run.stack.transcript.pop()  # this output shows secrets on purpose


def test_provider_pickle_holds_no_sentinel_and_references_classes(run: LeakRun) -> None:
    sizes: dict[str, int] = {}
    for resource in run.stack.credentials():
        blob: Any = resource["outputs"]["__provider"]
        assert isinstance(blob, str), "__provider is stored in plain text: it holds no secret"
        pickled = base64.b64decode(blob)
        assert run.leaks_in(pickled.decode("latin-1")) == []
        assert b"vendor_credentials.core.provider" in pickled
        assert b"CredentialProvider" in pickled
        sizes[resource["type"].rsplit(":", 1)[-1]] = len(blob)
    print("__provider sizes (base64 bytes):", json.dumps(sizes, sort_keys=True))
    assert max(sizes.values()) <= 1024


def test_destroy_prints_no_sentinel(run: LeakRun) -> None:
    outcome = run.stack.destroy(log_verbosity=9, log_to_std_err=True)
    assert outcome.ok, outcome
    assert run.leaks_in(outcome.text) == []
