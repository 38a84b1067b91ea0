"""Loopback traffic never goes through a proxy: HTTP_PROXY / ALL_PROXY would carry a plain-http
request to 127.0.0.1 (a local gateway, the emulator) in clear text to the proxy."""

from __future__ import annotations

import pytest

from support.leaks import leaks
from support.origins import Origin, Seen, origin
from vendor_credentials.core.http import HttpSettings, RetryAfter, Session
from vendor_credentials.core.redact import Redactor

SECRET = "Sentinel-Loopback-Token-4e1a9c7b"


def _ok(_: Seen) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b"{}"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_origin_is_called_directly_whatever_the_proxy_settings(
    monkeypatch: pytest.MonkeyPatch, variable: str, host: str
) -> None:
    with origin(_ok) as proxy, origin(_ok) as target:
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(variable, proxy.url)
        url = target.url.replace("127.0.0.1", host) + "/me"
        session = Session(
            vendor="intercom",
            retry_after=RetryAfter(),
            redactor=Redactor([SECRET]),
            # settings no other test uses: a client made now, with these proxy variables
            settings=HttpSettings(connect_timeout=3.21 + len(variable) / 100, max_attempts=1),
        )
        reply = session.request(
            "GET", url, endpoint=f"GET {url}", headers={"Authorization": f"Bearer {SECRET}"}
        )
    assert reply.status == 200
    assert _paths(proxy) == [] and _paths(target) == ["/me"]
    assert leaks({"secret": SECRET}, [proxy.text()]) == []


def _paths(server: Origin) -> list[str]:
    return [seen.path for seen in server.seen]
