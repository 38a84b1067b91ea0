"""Zendesk's traps, beyond what every kind gets from the kind-driven suites: the anonymous user
that ``/users/me.json`` answers with ``200`` is never valid, an email that is not the token user's
primary email is a mismatch, and a ``429`` with ``Retry-After`` seconds is waited for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.cases import case_for
from vendor_credentials.core.errors import CredentialRejected
from vendor_credentials.core.http import HttpSettings, Pacer, Session
from vendor_credentials.core.provider import CredentialProvider, ProviderError
from vendor_credentials.core.redact import Redactor
from vendor_credentials.emulator import Emulator
from vendor_credentials.zendesk import ApiTokenInputs, ApiTokenKind

CASE = case_for("zendesk.ApiToken")
ME = "/api/v2/users/me.json"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def inputs(emulator: Emulator, **changes: Any) -> dict[str, Any]:
    return {**CASE.inputs(emulator.base_url), **changes}


def prove(emulator: Emulator, **changes: Any) -> Any:
    waits: list[float] = []
    session = Session(
        vendor="zendesk",
        retry_after=ApiTokenKind.retry_after,
        redactor=Redactor([CASE.secret]),
        settings=HttpSettings(max_attempts=3),
        sleep=waits.append,
        pacer=Pacer(),
        jitter=lambda low, high: low,
    )
    spec = ApiTokenInputs.model_validate(inputs(emulator, **changes))
    return ApiTokenKind().validate(spec, session), waits


def test_the_emulator_answers_an_anonymous_caller_with_a_user_without_id(
    emulator: Emulator,
) -> None:
    answer = httpx.get(emulator.base_url + ME).json()
    assert answer["user"]["id"] is None and answer["user"]["role"] == "end-user"


def test_a_rejected_token_answers_401_couldnt_authenticate_you(emulator: Emulator) -> None:
    with pytest.raises(ProviderError) as failed:
        CredentialProvider(CASE.kind).create(inputs(emulator, api_token="Wrong" + CASE.secret[5:]))
    assert "HTTP 401" in str(failed.value) and "Couldn't authenticate you" in str(failed.value)


def test_an_anonymous_200_is_a_rejection_and_a_refresh_stores_invalid(emulator: Emulator) -> None:
    emulator.set_option("zendesk_anonymous_on_bad_credentials", True)
    try:
        wrong = inputs(emulator, api_token="Wrong" + CASE.secret[5:])
        with pytest.raises(CredentialRejected, match="anonymous user"):
            prove(emulator, api_token=wrong["api_token"])
        read = CredentialProvider(CASE.kind).read("id", wrong)
    finally:
        emulator.set_option("zendesk_anonymous_on_bad_credentials", False)
    assert read.outs["status"] == "invalid"
    assert "anonymous user" in read.outs["status_reason"]  # the reason says what happened


def test_an_email_other_than_the_users_primary_one_is_a_mismatch(emulator: Emulator) -> None:
    with pytest.raises(CredentialRejected) as failed:
        prove(emulator, email="support@acme-demo.example")  # a secondary identity of the agent
    assert failed.value.field == "email"
    assert "Set the email input to 'admin@acme-demo.example'" in str(failed.value)


def test_a_429_is_retried_after_the_seconds_zendesk_asks_for(emulator: Emulator) -> None:
    emulator.inject(429, times=1, path=ME)
    validation, waits = prove(emulator)
    assert validation.identity["user_id"] == CASE.sample.identity["user_id"]
    assert waits and waits[0] >= 0.9  # the emulator's Retry-After: 1 (less what has passed)


@pytest.mark.parametrize("email", ["admin@acme-demo.example/token", "admin", "a@b@c", "a:b@c"])
def test_an_email_that_is_not_one_fails_check(email: str) -> None:
    failures = (
        CredentialProvider(CASE.kind)
        .check({}, {**CASE.inputs("http://127.0.0.1:1"), "email": email})
        .failures
    )
    assert [f.property for f in failures] == ["email"]
