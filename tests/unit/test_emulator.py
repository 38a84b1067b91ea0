"""The vendor emulator, exercised over real sockets with httpx (plain, TLS and as a command)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from vendor_credentials.emulator import DEMO_CREDENTIALS, DEMO_IDENTITIES, Emulator, Fault

PROVIDER_DIR = Path(__file__).resolve().parents[2] / "provider"
HS = DEMO_CREDENTIALS["helpscout_mailbox"]
DOCS = DEMO_CREDENTIALS["helpscout_docs"]
TD = DEMO_CREDENTIALS["talkdesk"]
ALL_SECRETS = [
    HS["app_secret"],
    DOCS["api_key"],
    DEMO_CREDENTIALS["intercom_us"]["access_token"],
    DEMO_CREDENTIALS["intercom_eu"]["access_token"],
    DEMO_CREDENTIALS["intercom_au"]["access_token"],
    TD["client_secret"],
]


# --------------------------------------------------------------------------- fixtures/helpers


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=5.0) as http:
        yield http


def intercom_auth(region: str = "us") -> dict[str, str]:
    return {"Authorization": f"Bearer {DEMO_CREDENTIALS[f'intercom_{region}']['access_token']}"}


def hs_token_response(client: httpx.Client, secret: str | None = None) -> httpx.Response:
    return client.post(
        "/v2/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": HS["app_id"],
            "client_secret": secret or HS["app_secret"],
        },
    )


def hs_token(client: httpx.Client) -> str:
    response = hs_token_response(client)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


def td_token_response(
    client: httpx.Client, scope: str | None = None, secret: str | None = None
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return client.post(
        "/oauth/token", auth=(TD["client_id"], secret or TD["client_secret"]), data=form
    )


def td_token(client: httpx.Client, scope: str | None = None) -> str:
    response = td_token_response(client, scope)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROVIDER_DIR), env.get("PYTHONPATH", "")) if p
    )
    return env


# --------------------------------------------------------------------------- Help Scout Mailbox


def test_helpscout_form_token_then_users_me_returns_owner(client: httpx.Client) -> None:
    response = hs_token_response(client)
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 172800
    me = client.get("/v2/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == DEMO_IDENTITIES["helpscout_mailbox"]["email"]
    assert me.json()["role"] == "owner"
    assert {"id", "companyId", "firstName", "lastName", "timezone"} <= me.json().keys()


def test_helpscout_token_accepts_json_body(client: httpx.Client) -> None:
    response = client.post(
        "/v2/oauth2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": HS["app_id"],
            "client_secret": HS["app_secret"],
        },
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_helpscout_responses_carry_per_minute_rate_headers(client: httpx.Client) -> None:
    response = hs_token_response(client)
    assert "X-RateLimit-Limit-Minute" in response.headers
    assert "X-RateLimit-Remaining-Minute" in response.headers


def test_helpscout_wrong_secret_is_invalid_client_401(client: httpx.Client) -> None:
    response = hs_token_response(client, secret="wrong-secret")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Invalid client authentication",
    }


def test_helpscout_invalid_client_status_can_be_400() -> None:
    with Emulator(oauth_error_status=400) as emu, httpx.Client(base_url=emu.base_url) as http:
        response = hs_token_response(http, secret="wrong-secret")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_helpscout_other_grant_type_is_unsupported(client: httpx.Client) -> None:
    response = client.post("/v2/oauth2/token", data={"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_helpscout_unknown_token_is_401_with_logref(client: httpx.Client) -> None:
    response = client.get("/v2/users/me", headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert {"logRef", "message", "_embedded"} <= response.json().keys()


def test_helpscout_app_without_api_access_gets_403(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.add("helpscout_mailbox", app_id="app-no-api", app_secret="s" * 40, no_api_access=True)
    token = client.post(
        "/v2/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "app-no-api",
            "client_secret": "s" * 40,
        },
    ).json()["access_token"]
    response = client.get("/v2/users/me", headers=bearer(token))
    assert response.status_code == 403
    assert "logRef" in response.json()


# --------------------------------------------------------------------------- Help Scout Docs


def test_docs_sites_wrapped_with_basic_key(client: httpx.Client) -> None:
    response = client.get("/v1/sites", auth=(DOCS["api_key"], "X"))
    assert response.status_code == 200
    page = response.json()["sites"]
    assert page["count"] == 2
    ids = {item["id"] for item in page["items"]}
    assert ids == set(DEMO_IDENTITIES["helpscout_docs"]["site_ids"].split(","))
    assert all(len(i) == 24 and int(i, 16) >= 0 for i in ids)
    assert response.headers["Correlation-Id"]
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert name in response.headers


def test_docs_sites_unwrapped_switch() -> None:
    with Emulator(docs_wrapped=False) as emu, httpx.Client(base_url=emu.base_url) as http:
        body = http.get("/v1/sites", auth=(DOCS["api_key"], "X")).json()
    assert set(body) == {"page", "pages", "count", "items"}


def test_docs_bad_key_is_401_with_correlation_id(client: httpx.Client) -> None:
    response = client.get("/v1/sites", auth=("bad-key", "X"))
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Unauthorized"}
    assert response.headers["Correlation-Id"]


# --------------------------------------------------------------------------- Intercom


@pytest.mark.parametrize("region", ["us", "eu", "au"])
def test_intercom_me_reports_token_region(client: httpx.Client, region: str) -> None:
    response = client.get("/me", headers=intercom_auth(region))
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "admin"
    assert body["email_verified"] is True
    assert body["app"]["region"] == region.upper()
    assert body["app"]["id_code"] == DEMO_IDENTITIES[f"intercom_{region}"]["workspace_id"]


def test_intercom_version_header_is_logged(emulator: Emulator, client: httpx.Client) -> None:
    client.get("/me", headers={**intercom_auth(), "Intercom-Version": "2.11"})
    (record,) = emulator.requests
    assert record.api_version == "2.11"
    assert record.credential == "intercom_us"


def test_intercom_bad_token_is_401_error_list(client: httpx.Client) -> None:
    response = client.get("/me", headers=bearer("bad-token"))
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error.list"
    assert body["request_id"]
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]


def test_intercom_forbidden_token_is_403(emulator: Emulator, client: httpx.Client) -> None:
    emulator.add("intercom", access_token="f" * 60, region="eu", forbidden=True)
    response = client.get("/me", headers=bearer("f" * 60))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"


# --------------------------------------------------------------------------- Talkdesk


def test_talkdesk_token_is_jwt_with_account_claims(client: httpx.Client) -> None:
    response = td_token_response(client)
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == DEMO_IDENTITIES["talkdesk"]["scopes"]
    assert body["access_token"].count(".") == 2
    claims = jwt_claims(body["access_token"])
    assert claims["acc"] == "acme-demo"
    assert claims["aid"] == DEMO_IDENTITIES["talkdesk"]["account_id"]
    assert claims["cid"] == claims["sub"] == TD["client_id"]
    assert claims["scp"] == DEMO_IDENTITIES["talkdesk"]["scopes"].split()
    assert claims["exp"] == claims["iat"] + 600


def test_talkdesk_grants_requested_subset_of_scopes(client: httpx.Client) -> None:
    body = td_token_response(client, scope="account:read").json()
    assert body["scope"] == "account:read"
    assert jwt_claims(body["access_token"])["scp"] == ["account:read"]


def test_talkdesk_ungranted_scope_is_invalid_scope(client: httpx.Client) -> None:
    response = td_token_response(client, scope="account:read admin:write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_talkdesk_wrong_secret_is_invalid_client(client: httpx.Client) -> None:
    response = td_token_response(client, secret="wrong")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }


def test_talkdesk_account_with_bearer_jwt(client: httpx.Client) -> None:
    response = client.get("/account", headers=bearer(td_token(client)))
    assert response.status_code == 200
    assert response.json() == {
        "id": DEMO_IDENTITIES["talkdesk"]["account_id"],
        "name": "acme-demo",
        "company_name": "Acme Demo Inc.",
        "timezone": "Europe/Lisbon",
    }


def test_talkdesk_account_rejects_basic_auth(client: httpx.Client) -> None:
    response = client.get("/account", auth=(TD["client_id"], TD["client_secret"]))
    assert response.status_code == 401


def test_talkdesk_account_needs_account_read_scope(client: httpx.Client) -> None:
    response = client.get("/account", headers=bearer(td_token(client, scope="users:read")))
    assert response.status_code == 403
    assert {"code", "message"} <= response.json().keys()


# --------------------------------------------------------------------------- routing


def test_unknown_path_is_404_json(client: httpx.Client) -> None:
    response = client.get("/v3/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "not_found"


def test_wrong_method_on_vendor_route_is_405(client: httpx.Client) -> None:
    assert client.get("/oauth/token").status_code == 405


# --------------------------------------------------------------------------- revoke/rotate


def test_revoking_an_app_invalidates_its_tokens_until_restored(
    emulator: Emulator, client: httpx.Client
) -> None:
    token = hs_token(client)
    emulator.revoke(HS["app_id"])
    assert client.get("/v2/users/me", headers=bearer(token)).status_code == 401
    assert hs_token_response(client).status_code == 401
    emulator.restore(HS["app_id"])
    assert client.get("/v2/users/me", headers=bearer(token)).status_code == 200


def test_revoking_by_secret_or_seed_name(emulator: Emulator, client: httpx.Client) -> None:
    emulator.revoke(DOCS["api_key"])
    assert client.get("/v1/sites", auth=(DOCS["api_key"], "X")).status_code == 401
    emulator.revoke("intercom_au")
    assert client.get("/me", headers=intercom_auth("au")).status_code == 401
    assert client.get("/me", headers=intercom_auth("us")).status_code == 200
    emulator.restore()
    assert client.get("/me", headers=intercom_auth("au")).status_code == 200


def test_revoking_talkdesk_client_invalidates_its_jwt(
    emulator: Emulator, client: httpx.Client
) -> None:
    token = td_token(client)
    emulator.revoke(TD["client_id"])
    assert client.get("/account", headers=bearer(token)).status_code == 401


def test_revoking_unknown_key_raises(emulator: Emulator) -> None:
    with pytest.raises(KeyError):
        emulator.revoke("nobody")


def test_rotating_helpscout_secret_replaces_the_old_one(
    emulator: Emulator, client: httpx.Client
) -> None:
    new = emulator.rotate(HS["app_id"])
    assert len(new) == 40
    assert new != HS["app_secret"]
    assert hs_token_response(client).status_code == 401
    assert hs_token_response(client, secret=new).status_code == 200


def test_rotating_talkdesk_secret_replaces_the_old_one(
    emulator: Emulator, client: httpx.Client
) -> None:
    new = emulator.rotate(TD["client_id"])
    assert td_token_response(client).status_code == 401
    assert td_token_response(client, secret=new).status_code == 200


def test_expired_tokens_are_rejected(emulator: Emulator, client: httpx.Client) -> None:
    token = td_token(client)
    assert emulator.expire_tokens() == 1
    assert client.get("/account", headers=bearer(token)).status_code == 401


# --------------------------------------------------------------------------- rate limiting


def _first_429(http: httpx.Client, request: dict[str, Any], limit: int) -> httpx.Response:
    for _ in range(limit):
        assert http.request(**request).status_code != 429
    return http.request(**request)


def test_rate_limit_helpscout_mailbox_retry_after_header() -> None:
    with Emulator(rate_limit=2) as emu, httpx.Client(base_url=emu.base_url) as http:
        response = _first_429(http, {"method": "GET", "url": "/v2/users/me"}, 2)
    assert response.status_code == 429
    assert 1 <= int(response.headers["X-RateLimit-Retry-After"]) <= 2
    assert response.headers["X-RateLimit-Remaining-Minute"] == "0"


def test_rate_limit_docs_reset_in_seconds() -> None:
    with Emulator(rate_limit=2) as emu, httpx.Client(base_url=emu.base_url) as http:
        request = {"method": "GET", "url": "/v1/sites", "auth": (DOCS["api_key"], "X")}
        response = _first_429(http, request, 2)
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(response.headers["X-RateLimit-Reset"]) <= 2
    assert response.json()["status"] == 429


def test_rate_limit_intercom_reset_is_epoch() -> None:
    with Emulator(rate_limit=2) as emu, httpx.Client(base_url=emu.base_url) as http:
        response = _first_429(http, {"method": "GET", "url": "/me", "headers": intercom_auth()}, 2)
    assert response.status_code == 429
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 3
    assert response.json()["type"] == "error.list"


def test_rate_limit_talkdesk_retry_after_seconds() -> None:
    with Emulator(rate_limit=2) as emu, httpx.Client(base_url=emu.base_url) as http:
        response = _first_429(http, {"method": "GET", "url": "/account"}, 2)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 2


def test_rate_limit_window_slides(emulator: Emulator, client: httpx.Client) -> None:
    emulator.rate_limit = 1
    assert client.get("/me", headers=intercom_auth()).status_code == 200
    assert client.get("/me", headers=intercom_auth()).status_code == 429
    time.sleep(1.05)
    assert client.get("/me", headers=intercom_auth()).status_code == 200


def test_admin_requests_are_not_rate_limited(emulator: Emulator, client: httpx.Client) -> None:
    emulator.rate_limit = 1
    for _ in range(3):
        assert client.get("/_emulator/requests").status_code == 200


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_status_fault_answers_once_with_vendor_shape(
    emulator: Emulator, client: httpx.Client, status: int
) -> None:
    emulator.inject(status)
    response = client.get("/me", headers=intercom_auth())
    assert response.status_code == status
    assert response.json()["type"] == "error.list"
    assert "X-RateLimit-Reset" in response.headers
    assert client.get("/me", headers=intercom_auth()).status_code == 200


def test_429_fault_on_talkdesk_carries_retry_after(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.inject(Fault.TOO_MANY_REQUESTS, path="/oauth/token")
    response = td_token_response(client)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


def test_503_fault_carries_retry_after(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("503")
    assert client.get("/account").headers["Retry-After"] == "1"


def test_html_502_fault_is_a_proxy_page(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("html_502")
    response = client.get("/v1/sites", auth=(DOCS["api_key"], "X"))
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert b"<html>" in response.content


def test_truncated_json_fault(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("truncated_json")
    response = client.get("/me", headers=intercom_auth())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_missing_access_token_fault(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("missing_access_token")
    client.get("/me", headers=intercom_auth())  # not a token endpoint: fault stays queued
    body = hs_token_response(client).json()
    assert "access_token" not in body
    assert body["token_type"] == "bearer"


def test_bad_expires_in_fault(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("bad_expires_in", path="/oauth/token")
    body = td_token_response(client).json()
    assert body["expires_in"] == "soon"
    assert body["access_token"]


def test_huge_body_fault(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("huge_body")
    response = client.get("/v1/sites", auth=(DOCS["api_key"], "X"))
    assert response.status_code == 200
    assert len(response.content) >= 2 * 1024 * 1024


def test_echo_secret_fault_leaks_in_body_but_not_in_log(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.inject("echo_secret", path="/v2/oauth2/token")
    response = hs_token_response(client)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert HS["app_secret"] in response.text
    assert HS["app_secret"] not in repr(emulator.requests)


def test_hang_fault_makes_clients_time_out(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("hang", seconds=10)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/me", headers=intercom_auth(), timeout=0.3)


def test_reset_fault_drops_the_connection(emulator: Emulator, client: httpx.Client) -> None:
    emulator.inject("reset")
    with pytest.raises(httpx.TransportError):
        client.get("/me", headers=intercom_auth())
    assert emulator.requests[-1].status is None
    assert client.get("/me", headers=intercom_auth()).status_code == 200


def test_faults_match_path_and_apply_times_in_fifo_order(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.inject(500, path="/account", times=2)
    emulator.inject(502)
    assert client.get("/me", headers=intercom_auth()).status_code == 502
    assert client.get("/account").status_code == 500
    assert client.get("/account").status_code == 500
    assert client.get("/me", headers=intercom_auth()).status_code == 200


# --------------------------------------------------------------------------- connections/latency


def test_keep_alive_pays_connect_cost_once(emulator: Emulator) -> None:
    emulator.connect_cost = 0.05
    with httpx.Client(base_url=emulator.base_url) as http:
        assert http.get("/me", headers=intercom_auth()).status_code == 200
        assert http.get("/me", headers=intercom_auth()).status_code == 200
    assert emulator.connections == 1
    with httpx.Client(base_url=emulator.base_url) as other:
        other.get("/me", headers=intercom_auth())
    assert emulator.connections == 2


def test_latency_is_added_to_vendor_requests(emulator: Emulator, client: httpx.Client) -> None:
    emulator.latency = 0.2
    started = time.monotonic()
    client.get("/me", headers=intercom_auth())
    assert time.monotonic() - started >= 0.2


def test_stop_closes_listening_socket_promptly() -> None:
    emu = Emulator().start()
    port = emu.port
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1.0
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


# --------------------------------------------------------------------------- request log


def test_request_log_records_identity_not_secrets(emulator: Emulator, client: httpx.Client) -> None:
    client.get("/account", headers=bearer(td_token(client)))
    client.get("/v1/sites", auth=(DOCS["api_key"], "X"))
    client.get("/me", headers=bearer("unknown-token-of-some-length"))
    records = emulator.requests
    assert [r.credential for r in records] == [
        TD["client_id"],
        TD["client_id"],
        "helpscout_docs",
        "unkn...(28)",
    ]
    assert [r.auth_scheme for r in records] == ["basic", "bearer", "basic", "bearer"]
    dumped = repr(records)
    assert not any(secret in dumped for secret in ALL_SECRETS)
    assert emulator.count(vendor="talkdesk") == 2
    assert emulator.count(path="/v1/sites") == 1
    emulator.clear_log()
    assert emulator.count() == 0


# --------------------------------------------------------------------------- admin API


def test_admin_api_controls_and_is_not_logged(emulator: Emulator, client: httpx.Client) -> None:
    assert client.post("/_emulator/revoke", json={"key": "intercom_us"}).status_code == 200
    assert client.get("/me", headers=intercom_auth()).status_code == 401
    assert client.post("/_emulator/restore", json={}).status_code == 200
    assert client.get("/me", headers=intercom_auth()).status_code == 200
    assert client.post("/_emulator/fault", json={"fault": 503, "times": 1}).status_code == 200
    assert client.get("/me", headers=intercom_auth()).status_code == 503
    assert client.post("/_emulator/latency", json={"seconds": 0.01}).status_code == 200
    assert emulator.latency == 0.01
    records = client.get("/_emulator/requests").json()["requests"]
    assert [r["status"] for r in records] == [401, 200, 503]


def test_admin_rotate_returns_new_secret(client: httpx.Client) -> None:
    new = client.post("/_emulator/rotate", json={"key": TD["client_id"]}).json()["secret"]
    assert td_token_response(client, secret=new).status_code == 200


def test_admin_adds_credentials(client: httpx.Client) -> None:
    added = client.post(
        "/_emulator/credentials",
        json={
            "vendor": "talkdesk",
            "account": "other",
            "client_id": "cid-2",
            "client_secret": "secret-2",
            "scopes": "account:read",
        },
    )
    assert added.status_code == 200
    token = client.post(
        "/oauth/token", auth=("cid-2", "secret-2"), data={"grant_type": "client_credentials"}
    ).json()["access_token"]
    assert client.get("/account", headers=bearer(token)).json()["name"] == "other"


def test_admin_reset_restores_initial_state(emulator: Emulator, client: httpx.Client) -> None:
    emulator.rotate(HS["app_id"])
    emulator.inject(500, times=5)
    client.get("/me")
    assert client.post("/_emulator/reset").status_code == 200
    assert emulator.count() == 0
    assert hs_token_response(client).status_code == 200


def test_admin_errors_do_not_echo_keys(client: httpx.Client) -> None:
    response = client.post("/_emulator/revoke", json={"key": "some-secret-value"})
    assert response.status_code == 404
    assert "some-secret-value" not in response.text
    assert client.post("/_emulator/fault", json={"fault": "nope"}).status_code == 400


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_tls_with_trusted_ca(ca: trustme.CA) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with Emulator(ssl_context=server_context, connect_cost=0.01) as emu:
        assert emu.base_url.startswith("https://127.0.0.1:")
        with httpx.Client(base_url=emu.base_url, verify=client_context) as http:
            assert http.get("/me", headers=intercom_auth()).status_code == 200
            assert http.get("/me", headers=intercom_auth()).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(emu.base_url + "/me", verify=ssl.create_default_context())
        assert emu.count(path="/me") == 2


# --------------------------------------------------------------------------- the command


def _run_command(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "vendor_credentials.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_command_prints_url_serves_and_exits_0_on_sigterm() -> None:
    proc, url = _run_command("--port", "0", "--latency-ms", "1")
    try:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(url + "/me", headers=intercom_auth(), timeout=5)
        assert response.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout is not None
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_command_serves_tls(ca: trustme.CA, tmp_path: Path) -> None:
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    proc, url = _run_command("--tls-cert", str(cert_file), "--tls-key", str(key_file))
    try:
        assert url.startswith("https://127.0.0.1:")
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        response = httpx.get(url + "/me", headers=intercom_auth(), verify=client_context)
        assert response.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_import_does_not_load_the_server() -> None:
    code = (
        "import sys, vendor_credentials.emulator as e; "
        "assert 'http.server' not in sys.modules; assert e.DEMO_CREDENTIALS"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=subprocess_env())


def test_concurrent_clock_advances_and_knob_changes_are_never_lost(emulator: Emulator) -> None:
    """Each change replaces the settings as a function of the current ones, under the lock."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races would show
    try:

        def work() -> None:
            for _ in range(300):
                emulator.advance_clock(1)
                emulator.latency = 0.0

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert emulator.clock_offset == 8 * 300
