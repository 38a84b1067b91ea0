"""Vendors that echo what they were sent: nothing of it may reach output, logs or state.

One stack declares every kind (support.cases). The emulator answers with a 401 that repeats:
the token the probe presented (for exchange kinds the access token just issued), the secret after
a long preamble (so it straddles the cut of vendor text), or the request's Authorization header
(HTTP Basic's base64 of ``user:secret``) or form body. Each echo goes through create, refresh
(which stores the reason in state), a preview of a change (check) and an update. Every byte
printed and the state are searched for any 12-character piece of the secrets and of every token
the emulator issued, in plain text and decoded (support.leaks).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pulumi
import pytest

from support.cases import CASES
from support.leaks import leaks
from support.stacks import EngineStack, Outcome
from vendor_credentials.emulator import Emulator

# An `up` stops starting creates at the first failure; the provider serves four at a time, so
# with more kinds than that some would never meet the echo. Every kind must: keep going.
EVERY_KIND = {"continue_on_error": True}
ECHOES = ("echo_issued_token", "echo_after_preamble", "echo_authorization", "echo_secret")
# A kind that carries a refresh token answers a refused stored access token with an exchange and
# a probe of the new token (core/carry.py): on refresh and update it meets the echo twice.
CARRYING = tuple(c.id for c in CASES if c.declaration.carried)
TWICE = len(CASES) + len(CARRYING)


def program() -> None:
    cfg = pulumi.Config()
    for case in CASES:
        args: dict[str, object] = {case.secret_input: cfg.require_secret(f"{case.id}-secret")}
        args.update(case.plain_inputs(cfg.require("base_url")))  # URLs from the samples
        args["description"] = cfg.get("description") or "echo test"
        case.build(case.id, args)


@dataclass
class EchoRun:
    stack: EngineStack
    emulator: Emulator

    def with_echo(
        self, fault: str, operation: str, *, served: int = len(CASES), **kwargs: object
    ) -> Outcome:
        """Run ``operation`` while every kind's next matching request is answered by ``fault``.

        ``served``: how many kinds must meet the fault (a preview stops at its first failure).
        """
        self.emulator.clear_log()
        self.emulator.inject(fault, times=max(served, len(CASES)))
        try:
            outcome: Outcome = getattr(self.stack, operation)(**kwargs)
        finally:
            self.emulator.clear_faults()
        seen = sum(1 for r in self.emulator.requests if r.fault == fault)
        assert seen == served, f"{fault} was served {seen} times: {outcome}"
        return outcome

    def secrets(self) -> dict[str, str]:
        found = {case.id: case.secret for case in CASES}
        found.update({f"issued-{i}": t for i, t in enumerate(self.emulator.issued_tokens())})
        return found

    def leaks(self, *texts: str) -> list[str]:
        return leaks(self.secrets(), texts)


@pytest.fixture(scope="module")
def run(emulator: Emulator, engine: dict[str, str]) -> Iterator[EchoRun]:
    env = {**engine, "VENDOR_CREDENTIALS_LOG_LEVEL": "debug"}
    stack = EngineStack("leaks-echo", program, env)
    stack.set_config({f"{c.id}-secret": c.secret for c in CASES}, secret=True)
    stack.set_config({"base_url": emulator.base_url})
    stack.set_config({"vendor-credentials:trustedOrigins": emulator.base_url})
    yield EchoRun(stack, emulator)
    stack.destroy()


@pytest.mark.parametrize("fault", ECHOES)
def test_create_fails_without_repeating_the_echo(run: EchoRun, fault: str) -> None:
    outcome = run.with_echo(fault, "up", log_verbosity=9, log_to_std_err=True, **EVERY_KIND)
    assert not outcome.ok
    assert "[REDACTED]" in outcome.text
    assert run.leaks(outcome.text) == []
    assert run.stack.credentials() == []  # a failed create stores nothing


def test_refresh_stores_only_redacted_reasons(run: EchoRun) -> None:
    assert run.stack.up().ok
    for fault in ECHOES[:3]:
        outcome = run.with_echo(fault, "refresh", served=TWICE)
        assert outcome.ok, outcome
        stored = [c["outputs"] for c in run.stack.credentials()]
        assert {o["status"] for o in stored} == {"invalid"}
        # Kinds whose error shape carries the vendor's message store it masked.
        assert any("[REDACTED]" in o["status_reason"] for o in stored), stored
        assert run.leaks(outcome.text, run.stack.state_file().read_text()) == []
    assert run.stack.up().ok  # the next up validates again: valid once the vendor is


def test_preview_of_a_change_fails_without_repeating_the_echo(run: EchoRun) -> None:
    run.stack.set_config({"description": "changed for the preview"})
    outcome = run.with_echo("echo_issued_token", "preview", served=1)
    assert not outcome.ok  # the first kind checked fails the preview (any kind, any order)
    assert run.leaks(outcome.text) == []


def test_update_fails_without_repeating_the_echo(run: EchoRun) -> None:
    run.stack.set_config({"description": "changed for the update"})
    outcome = run.with_echo(
        "echo_issued_token", "up", served=TWICE, log_verbosity=9, log_to_std_err=True, **EVERY_KIND
    )
    assert not outcome.ok
    assert "[REDACTED]" in outcome.text
    assert run.leaks(outcome.text) == []
    stored = {c["urn"].rsplit("::", 1)[1]: c["outputs"] for c in run.stack.credentials()}
    for name, outputs in stored.items():
        if name in CARRYING:  # its refresh token was spent: the successor is saved, invalid
            assert outputs["status"] == "invalid" and "[REDACTED]" in outputs["status_reason"]
        else:  # a failed update: state as it was
            assert outputs["description"] == "echo test", name


def test_nothing_printed_or_stored_holds_a_piece_of_a_secret(run: EchoRun) -> None:
    assert run.emulator.issued_tokens(), "the exchanges must have issued tokens"
    exported = run.stack.cli("stack", "export")
    assert exported.ok, exported
    texts = [*run.stack.transcript, run.stack.state_file().read_text()]
    assert run.leaks(*texts) == []
