"""The emulator's Help Scout authorization-code flow: consent page, single-use codes that expire,
refresh-token chains (single use or not), revocation, the clock, and the request log's labels."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from vendor_credentials.emulator import Emulator

APP_ID, APP_SECRET = "authz-app", "authz-secret-0123456789"
CALLBACK = "http://127.0.0.1:9/callback"
AUTHORIZE = "/authentication/authorizeClientApplication"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as server:
        server.add("helpscout_mailbox", app_id=APP_ID, app_secret=APP_SECRET, redirect_url=CALLBACK)
        yield server


def _consent(emu: Emulator, **extra: str) -> dict[str, str]:
    answer = httpx.get(
        f"{emu.base_url}{AUTHORIZE}", params={"client_id": APP_ID, "state": "st8", **extra}
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _token(emu: Emulator, **form: str) -> httpx.Response:
    data = {"client_id": APP_ID, "client_secret": APP_SECRET, **form}
    return httpx.post(f"{emu.base_url}/v2/oauth2/token", data=data)


def _me(emu: Emulator, access: str) -> httpx.Response:
    return httpx.get(f"{emu.base_url}/v2/users/me", headers={"Authorization": f"Bearer {access}"})


def test_consent_page_offers_both_choices(emu: Emulator) -> None:
    page = httpx.get(f"{emu.base_url}{AUTHORIZE}", params={"client_id": APP_ID, "state": "x"})
    assert page.status_code == 200 and "decision=approve" in page.text
    assert "decision=deny" in page.text
    unknown = httpx.get(f"{emu.base_url}{AUTHORIZE}", params={"client_id": "nope"})
    assert unknown.status_code == 404


def test_denied_consent_redirects_with_access_denied(emu: Emulator) -> None:
    emu.set_option("helpscout_consent", "deny")
    assert _consent(emu) == {"error": "access_denied", "state": "st8"}


def test_code_is_single_use_and_expires(emu: Emulator) -> None:
    code = _consent(emu, decision="approve")["code"]
    first = _token(emu, grant_type="authorization_code", code=code)
    assert first.status_code == 200
    body = first.json()
    assert body["expires_in"] == 172800 and body["refresh_token"] and body["access_token"]
    again = _token(emu, grant_type="authorization_code", code=code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_request"
    late = _consent(emu, decision="approve")["code"]
    emu.advance_clock(601)
    assert _token(emu, grant_type="authorization_code", code=late).status_code == 400


def test_refresh_tokens_are_single_use_and_labelled_in_the_log(emu: Emulator) -> None:
    emu.set_option("helpscout_consent", "approve:ops@acme.example")
    code = _consent(emu)["code"]
    rt0 = _token(emu, grant_type="authorization_code", code=code).json()["refresh_token"]
    second = _token(emu, grant_type="refresh_token", refresh_token=rt0)
    assert second.status_code == 200
    rt1, access = second.json()["refresh_token"], second.json()["access_token"]
    assert rt1 != rt0
    replay = _token(emu, grant_type="refresh_token", refresh_token=rt0)
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_request",
        "error_description": "Invalid refresh_token",
    }
    assert _me(emu, access).json()["email"] == "ops@acme.example"
    labels = [(r.credential, r.status) for r in emu.requests if r.path == "/v2/oauth2/token"][1:]
    assert [label.split("#")[1] for label, _ in labels if label] == ["rt0", "rt0"]
    assert [status for _, status in labels] == [200, 400]
    assert all(rt0 not in str(r) and rt1 not in str(r) for r in emu.requests)


def test_reusable_refresh_tokens_when_configured(emu: Emulator) -> None:
    emu.set_option("helpscout_single_use_refresh", False)
    code = _consent(emu, decision="approve")["code"]
    rt0 = _token(emu, grant_type="authorization_code", code=code).json()["refresh_token"]
    for _ in range(2):
        assert _token(emu, grant_type="refresh_token", refresh_token=rt0).status_code == 200


def test_revoked_authorisation_stops_tokens_and_clock_expires_access(emu: Emulator) -> None:
    code = _consent(emu, decision="approve")["code"]
    tokens = _token(emu, grant_type="authorization_code", code=code).json()
    assert _me(emu, tokens["access_token"]).status_code == 200
    emu.advance_clock(172800)
    assert _me(emu, tokens["access_token"]).status_code == 401  # expired by the emulator's clock
    emu.revoke(tokens["refresh_token"])  # an authorisation is found by any token of its chain
    assert (
        _token(emu, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code
        == 400
    )
    with pytest.raises(ValueError, match="only moves forward"):
        emu.advance_clock(-1)
    reply = httpx.post(f"{emu.base_url}/_emulator/clock", json={"advance": 10})
    assert reply.json() == {"offset": 172810.0}
