"""Answers that cannot be trusted: proxy error pages, truncated or incomplete JSON, non-numeric
expiries, enormous bodies, dropped connections and silence, for every vendor.

Each must end in a typed error that names the vendor and the endpoint, in words built by this
package (never a Python traceback or the raw body), and must never put a credential in state as
``valid``: create fails and a refresh fails, so the engine keeps the old state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from vendor_credentials.core.errors import MalformedResponse, TransientVendorError, VendorError
from vendor_credentials.core.http import HttpSettings, Pacer, Session
from vendor_credentials.core.provider import CredentialProvider, ProviderError
from vendor_credentials.core.redact import Redactor
from vendor_credentials.core.registry import vendor_for
from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator

ATTEMPTS = 2
SETTINGS = HttpSettings(connect_timeout=1.0, read_timeout=0.3, max_attempts=ATTEMPTS)
# Only the hang fault is about the read timeout; on a loaded machine 0.3 s can pass before the
# headers of a 20 MB answer arrive, and the retry then meets no fault at all.
PATIENT = HttpSettings(connect_timeout=1.0, read_timeout=10.0, max_attempts=ATTEMPTS)
HS = DEMO_CREDENTIALS["helpscout_mailbox"]
TD = DEMO_CREDENTIALS["talkdesk"]

SEEDED: dict[str, dict[str, str]] = {
    "helpscout.MailboxCredential": {"app_id": HS["app_id"], "app_secret": HS["app_secret"]},
    "helpscout.DocsApiKey": dict(DEMO_CREDENTIALS["helpscout_docs"]),
    "intercom.AccessToken": {
        "access_token": DEMO_CREDENTIALS["intercom_us"]["access_token"],
        "region": "us",
    },
    "talkdesk.ClientCredential": {
        "account_name": TD["account"],
        "client_id": TD["client_id"],
        "client_secret": TD["client_secret"],
    },
}
FIRST_CALL = {
    "helpscout.MailboxCredential": "POST /v2/oauth2/token",
    "helpscout.DocsApiKey": "GET /v1/sites",
    "intercom.AccessToken": "GET /me",
    "talkdesk.ClientCredential": "POST /oauth/token",
}
SECRET_FIELD = {
    "helpscout.MailboxCredential": "app_secret",
    "helpscout.DocsApiKey": "api_key",
    "intercom.AccessToken": "access_token",
    "talkdesk.ClientCredential": "client_secret",
}
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

    @property
    def endpoint(self) -> str:
        return self.call or FIRST_CALL[self.kind]

    @property
    def times(self) -> int:
        return ATTEMPTS if issubclass(self.error, TransientVendorError) else 1

    def __str__(self) -> str:
        where = f"@{self.call.split()[1]}" if self.call else ""
        return f"{self.kind.split('.')[0]}.{self.kind.split('.')[1]}-{self.fault}{where}"


def _faults() -> list[Fault]:
    found: list[Fault] = []
    for kind in SEEDED:
        found += [
            Fault(kind, "html_502", TransientVendorError, "server error"),
            Fault(kind, "truncated_json", MalformedResponse, "body that is not a JSON object"),
            Fault(kind, "huge_body", MalformedResponse, "response body larger than"),
            Fault(kind, "reset", TransientVendorError, "connection broke before a complete"),
            Fault(kind, "hang", TransientVendorError, "no complete answer within 0.3s"),
        ]
    for kind in ("helpscout.MailboxCredential", "talkdesk.ClientCredential"):
        found += [
            Fault(kind, "missing_access_token", MalformedResponse, "without 'access_token'"),
            Fault(kind, "bad_expires_in", MalformedResponse, "'expires_in' that is not a number"),
        ]
    mailbox, talkdesk = "helpscout.MailboxCredential", "talkdesk.ClientCredential"
    found += [
        Fault(mailbox, "truncated_json", MalformedResponse, "not a JSON", "GET /v2/users/me"),
        Fault(mailbox, "html_502", TransientVendorError, "server error", "GET /v2/users/me"),
        Fault(talkdesk, "truncated_json", MalformedResponse, "not a JSON", "GET /account"),
        Fault(talkdesk, "huge_body", MalformedResponse, "larger than", "GET /account"),
    ]
    return found


FAULTS = _faults()


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
    return {**SEEDED[kind], "base_url": emulator.base_url}


def assert_clear(message: str, fault: Fault, emulator: Emulator) -> None:
    vendor = vendor_for(fault.kind).vendor
    assert f"{vendor}: " in message
    assert endpoint_text(fault, emulator) in message
    assert fault.says in message
    assert SEEDED[fault.kind][SECRET_FIELD[fault.kind]] not in message
    for raw in RAW_TEXT:
        assert raw not in message, raw


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_is_a_typed_error_naming_vendor_and_endpoint(
    emulator: Emulator, fault: Fault
) -> None:
    vendor = vendor_for(fault.kind)
    spec = vendor.inputs.model_validate(inputs(fault.kind, emulator))
    session = Session(
        vendor=vendor.vendor,
        retry_after=vendor.retry_after,
        redactor=Redactor(spec.secrets()),
        settings=settings_for(fault),
        sleep=lambda _seconds: None,
        pacer=Pacer(),
    )
    inject(emulator, fault)
    with pytest.raises(fault.error) as caught:
        vendor.validate(spec, session)
    assert_clear(str(caught.value), fault, emulator)


@pytest.fixture
def provider_settings(monkeypatch: pytest.MonkeyPatch, fault: Fault) -> None:
    """Short timeouts and few attempts for the provider, as stack config would set them."""
    monkeypatch.setattr(CredentialProvider, "settings", settings_for(fault))


@pytest.mark.usefixtures("provider_settings")
@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_fault_fails_create_so_nothing_enters_state(emulator: Emulator, fault: Fault) -> None:
    provider = CredentialProvider(fault.kind)
    inject(emulator, fault)
    with pytest.raises(ProviderError) as caught:
        provider.create(inputs(fault.kind, emulator))
    message = str(caught.value)
    assert message.startswith(f"{fault.kind}: create failed: ")
    assert "internal error" not in message  # a typed error, not an unexpected exception
    assert_clear(message, fault, emulator)


@pytest.mark.usefixtures("provider_settings")
@pytest.mark.parametrize("fault", FAULTS, ids=str)
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
