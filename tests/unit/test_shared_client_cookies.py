"""The pooled client is shared by every credential of a plugin process: a cookie one vendor
answer sets must never ride along with another credential's request (real HTTP on loopback)."""

from __future__ import annotations

from support.origins import Seen, origin
from vendor_credentials.core.http import HttpSettings, RetryAfter, Session
from vendor_credentials.core.redact import Redactor
from vendor_credentials.core.transport import shared_client

FIRST = "Sentinel-Cookie-Token-First-5b2e"
SECOND = "Sentinel-Cookie-Token-Second-8c1d"
# A session cookie, as a vendor's edge (load balancer, bot filter) may set on any answer.
SET_COOKIE = "session=Sentinel-Session-Of-Some-Credential; Path=/; HttpOnly"


def _sets_cookies(_: Seen) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json", "Set-Cookie": SET_COOKIE}, b"{}"


def _session(token: str) -> Session:
    return Session(
        vendor="intercom",
        retry_after=RetryAfter(),
        redactor=Redactor([token]),
        settings=HttpSettings(connect_timeout=4.56, max_attempts=1),  # a client of its own
    )


def test_a_cookie_set_for_one_credential_is_not_sent_with_the_next() -> None:
    with origin(_sets_cookies) as vendor:
        for token in (FIRST, SECOND, FIRST):
            reply = _session(token).request(
                "GET",
                f"{vendor.url}/me",
                endpoint="GET /me",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert reply.status == 200
    assert len(vendor.seen) == 3
    assert all("cookie" not in {k.lower() for k in seen.headers} for seen in vendor.seen)
    assert len(shared_client(HttpSettings(connect_timeout=4.56, max_attempts=1)).cookies) == 0
