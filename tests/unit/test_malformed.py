"""Answers that cannot be trusted: proxy error pages, truncated or incomplete JSON, non-numeric
expiries, enormous bodies, dropped connections and silence, for every kind (``support.cases``):
each fault hits each request a kind's proof makes, as observed against the emulator.

Each must end in a typed error that names the vendor and the endpoint, in words built by this
package (never a Python traceback or the raw body), and must never put a credential in state as
``valid``: create fails and a refresh fails, so the engine keeps the old state. The exception is a
rotating refresh token already spent: its successor is saved, with the error as the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from support.cases import CASES, KindCase
from vendor_credentials.core.carry import REFRESH_TOKEN, parse_iso, renewal_due
from vendor_credentials.core.errors import MalformedResponse, TransientVendorError, VendorError
from vendor_credentials.core.http import HttpSettings, Pacer, Session
from vendor_credentials.core.provider import CredentialProvider, ProviderError
from vendor_credentials.core.redact import Redactor
from vendor_credentials.emulator import Emulator

ATTEMPTS = 2
SETTINGS = HttpSettings(connect_timeout=1.0, read_timeout=0.3, max_attempts=ATTEMPTS)
# Only the hang fault is about the read timeout; on a loaded machine 0.3 s can pass before the
# headers of a 20 MB answer arrive, and the retry then meets no fault at all.
PATIENT = HttpSettings(connect_timeout=1.0, read_timeout=10.0, max_attempts=ATTEMPTS)
BY_KIND = {case.kind: case for case in CASES}


def _observed_calls() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each kind's requests ("METHOD /path") when its sample is proved against the emulator:
    by create, then by a refresh of what create stored (a kind carrying a still-valid access
    token only probes with it)."""
    calls: dict[str, list[str]] = {}
    reads: dict[str, list[str]] = {}
    with Emulator() as emulator:
        for case in CASES:
            emulator.clear_log()
            provider = CredentialProvider(case.kind)
            created = provider.create(case.inputs(emulator.base_url))
            calls[case.kind] = [f"{r.method} {r.path}" for r in emulator.requests]
            emulator.clear_log()
            provider.read(created.id, dict(created.outs or {}))
            reads[case.kind] = [f"{r.method} {r.path}" for r in emulator.requests]
    return calls, reads


CALLS, READ_CALLS = _observed_calls()
RAW_TEXT = (
    "Traceback",
    "JSONDecodeError",
    "KeyError",
    "TypeError",
    "ValueError",
    "AttributeError",
    "<html",
    "nginx",
    "AAAAAAAA",  # the huge body's filler
)


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour, where it hits and what the user must be told."""

    kind: str
    fault: str
    error: type[VendorError]
    says: str
    call: str = ""  # "METHOD /path" hit by the fault; default: the first call of the kind
    first: str = ""  # the first call of the operation under test

    @property
    def endpoint(self) -> str:
        return self.call or self.first

    @property
    def times(self) -> int:
        return ATTEMPTS if issubclass(self.error, TransientVendorError) else 1

    def __str__(self) -> str:
        where = f"@{self.call.split()[1]}" if self.call else ""
        return f"{self.kind.split('.')[0]}.{self.kind.split('.')[1]}-{self.fault}{where}"


def _faults(observed: dict[str, list[str]]) -> list[Fault]:
    found: list[Fault] = []
    for kind, calls in observed.items():
        first = calls[0]
        found += [
            Fault(kind, "html_502", TransientVendorError, "server error", first=first),
            Fault(kind, "truncated_json", MalformedResponse, "not a JSON object", first=first),
            Fault(kind, "huge_body", MalformedResponse, "response body larger than", first=first),
            Fault(kind, "reset", TransientVendorError, "connection broke before", first=first),
            Fault(
                kind, "hang", TransientVendorError, "no complete answer within 0.3s", first=first
            ),
        ]
        if calls[0].startswith("POST "):  # a token exchange comes first
            found += [
                Fault(
                    kind,
                    "missing_access_token",
                    MalformedResponse,
                    "without 'access_token'",
                    first=first,
                ),
                Fault(
                    kind,
                    "bad_expires_in",
                    MalformedResponse,
                    "'expires_in' that is not a",
                    first=first,
                ),
            ]
        for later in calls[1:]:  # what follows the first answer is just as untrusted
            found += [
                Fault(kind, "truncated_json", MalformedResponse, "not a JSON", later),
                Fault(kind, "html_502", TransientVendorError, "server error", later),
                Fault(kind, "huge_body", MalformedResponse, "larger than", later),
            ]
    return found


FAULTS = _faults(CALLS)
REFRESH_FAULTS = _faults(READ_CALLS)


# Token-endpoint faults that keep the answer's refresh token (only the access token or its
# expiry is broken): the presented token is spent and its successor is there to be saved.
SUCCESSOR_KEPT = frozenset({"missing_access_token", "bad_expires_in"})


def _spends_a_token(fault: Fault) -> bool:
    """A fault after a refresh-token exchange, or in an answer that carried the successor: the
    presented token is already spent, so create must save its successor rather than fail
    (core/carry.py, ExchangedUnproven)."""
    carried = bool(BY_KIND[fault.kind].declaration.carried)
    return carried and (bool(fault.call) or fault.fault in SUCCESSOR_KEPT)


@pytest.fixture(autouse=True)
def clean_emulator(emulator: Emulator) -> Iterator[None]:
    emulator.clear_faults()
    emulator.clear_log()
    yield
    emulator.clear_faults()


def settings_for(fault: Fault) -> HttpSettings:
    return SETTINGS if fault.fault == "hang" else PATIENT


def inject(emulator: Emulator, fault: Fault) -> None:
    path = fault.call.split()[1] if fault.call else None
    emulator.inject(fault.fault, path=path, times=fault.times, seconds=1.0)


def endpoint_text(fault: Fault, emulator: Emulator) -> str:
    method, path = fault.endpoint.split()
    return f"{method} {emulator.base_url}{path}"


def inputs(kind: str, emulator: Emulator) -> dict[str, Any]:
    return BY_KIND[kind].inputs(emulator.base_url)


def assert_clear(message: str, fault: Fault, emulator: Emulator) -> None:
    case: KindCase = BY_KIND[fault.kind]
    assert f"{case.declaration.vendor}: " in message
    assert endpoint_text(fault, emulator) in message
    assert fault.says in message
    assert case.secret not in message
    for raw in RAW_TEXT:
        assert raw not in message, raw


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_is_a_typed_error_naming_vendor_and_endpoint(
    emulator: Emulator, fault: Fault
) -> None:
    declared = BY_KIND[fault.kind].declaration
    spec = declared.inputs.model_validate(inputs(fault.kind, emulator))
    session = Session(
        vendor=declared.vendor,
        retry_after=declared.retry_after,
        redactor=Redactor(spec.secrets()),
        settings=settings_for(fault),
        sleep=lambda _seconds: None,
        pacer=Pacer(),
    )
    inject(emulator, fault)
    try:
        declared.validate(spec, session)
    except fault.error as exc:
        assert_clear(str(exc), fault, emulator)
    else:
        seen = [(r.method, r.path, r.status, r.fault) for r in emulator.requests]
        pytest.fail(f"no {fault.error.__name__}; the emulator saw {seen}")


@pytest.fixture
def provider_settings(monkeypatch: pytest.MonkeyPatch, fault: Fault) -> None:
    """Short timeouts and few attempts for the provider, as stack config would set them."""
    monkeypatch.setattr(CredentialProvider, "settings", settings_for(fault))


@pytest.mark.usefixtures("provider_settings")
@pytest.mark.parametrize("fault", [f for f in FAULTS if not _spends_a_token(f)], ids=str)
def test_fault_fails_create_so_nothing_enters_state(emulator: Emulator, fault: Fault) -> None:
    provider = CredentialProvider(fault.kind)
    inject(emulator, fault)
    with pytest.raises(ProviderError) as caught:
        provider.create(inputs(fault.kind, emulator))
        seen = [(r.method, r.path, r.status, r.fault) for r in emulator.requests]
        pytest.fail(f"no error; the emulator saw {seen}")
    message = str(caught.value)
    assert message.startswith(f"{fault.kind}: create failed: ")
    assert "internal error" not in message  # a typed error, not an unexpected exception
    assert_clear(message, fault, emulator)


@pytest.mark.usefixtures("provider_settings")
@pytest.mark.parametrize("fault", [f for f in FAULTS if _spends_a_token(f)], ids=str)
def test_fault_after_a_spent_refresh_token_saves_its_successor(
    emulator: Emulator, fault: Fault
) -> None:
    declaration = BY_KIND[fault.kind].declaration
    provider = CredentialProvider(fault.kind)
    inject(emulator, fault)
    outs = dict(provider.create(inputs(fault.kind, emulator)).outs or {})
    assert outs["status"] == "valid"  # the exchange proved the app and the refresh token
    if fault.call:  # the exchange answered in full, the probe after it failed
        assert all(outs[item.name] for item in declaration.carried)  # the successor is in state
    else:  # the exchange's answer had the successor but no usable access token: renew next time
        assert outs[REFRESH_TOKEN] not in ("", BY_KIND[fault.kind].secret)
        assert renewal_due(parse_iso(outs["expires_at"]))
    assert "successor saved" in outs["status_reason"]
    assert_clear(outs["status_reason"], fault, emulator)
    for token in (outs[item.name] for item in declaration.carried):
        assert not token or token not in outs["status_reason"]


@pytest.mark.usefixtures("provider_settings")
@pytest.mark.parametrize("fault", REFRESH_FAULTS, ids=str)
def test_fault_fails_refresh_so_the_stored_state_is_kept(emulator: Emulator, fault: Fault) -> None:
    provider = CredentialProvider(fault.kind)
    created = provider.create(inputs(fault.kind, emulator))
    stored = dict(created.outs or {})
    assert stored["status"] == "valid"
    inject(emulator, fault)
    with pytest.raises(ProviderError) as caught:  # no ReadResult: neither "valid" nor "invalid"
        provider.read(created.id, stored)
    message = str(caught.value)
    assert message.startswith(f"{fault.kind}: refresh failed: ")
    assert "internal error" not in message
    assert_clear(message, fault, emulator)
