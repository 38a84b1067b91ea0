"""Retry headers are vendor-controlled text: anything unparsable is treated as absent."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.origins import Seen, origin
from vendor_credentials.core.errors import TransientVendorError
from vendor_credentials.core.http import HttpSettings, RetryAfter, Session
from vendor_credentials.core.redact import Redactor

NOW = 1_750_000_000.0
READERS = (
    RetryAfter("Retry-After"),
    RetryAfter("X-RateLimit-Reset", epoch=True),
    RetryAfter("X-RateLimit-Retry-After"),
)
ABSURD = [
    "Dec +0000 +0000 23:59:59 999999999999999999999999999999 1_000 00:00:00",  # OverflowError
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "Wed, 21 Oct 2015 07:28:00 +9999",
    "1e999",
    "-1e999",
    "nan",
    "9" * 400,
]


def _usable(seconds: float | None) -> bool:
    return seconds is None or (seconds >= 0 and seconds == seconds and seconds != float("inf"))


@pytest.mark.parametrize("raw", ABSURD)
@pytest.mark.parametrize("status", [429, 503])
def test_absurd_values_are_absent_or_a_finite_wait(raw: str, status: int) -> None:
    headers = httpx.Headers({"Retry-After": raw, "X-RateLimit-Reset": raw})
    for reader in READERS:
        assert _usable(reader.seconds(headers, NOW, status=status))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80), st.sampled_from(READERS), st.sampled_from([429, 500, 503]))
def test_any_header_text_never_raises(raw: str, reader: RetryAfter, status: int) -> None:
    headers = {"Retry-After": raw, "X-RateLimit-Reset": raw, "X-RateLimit-Retry-After": raw}
    assert _usable(reader.seconds(headers, NOW, status=status))


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        "{}, {:02d} {} {} {:02d}:{:02d}:{:02d} {}".format,
        st.sampled_from(["Mon", "Fri", "Xyz"]),
        st.integers(0, 99),
        st.sampled_from(["Jan", "Dec", "Foo"]),
        st.integers(0, 10**40),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.one_of(
            st.sampled_from(["GMT", "UT", "EST", "Z"]),
            st.integers(-(10**6), 10**6).map(lambda n: f"{n:+05d}"),
        ),
    )
)
def test_any_http_date_shape_never_raises(raw: str) -> None:
    assert _usable(RetryAfter("Retry-After").seconds({"Retry-After": raw}, NOW))


def test_a_vendor_answering_an_absurd_retry_after_gets_a_typed_error() -> None:
    """Through the real HTTP path: a 503 whose date overflows is a transient error, not a bug."""

    def busy(_: Seen) -> tuple[int, dict[str, str], bytes]:
        return 503, {"Retry-After": ABSURD[0], "Content-Type": "application/json"}, b"{}"

    with origin(busy) as server:
        session = Session(
            vendor="talkdesk",
            retry_after=RetryAfter("Retry-After"),
            redactor=Redactor(),
            settings=HttpSettings(max_attempts=2, backoff_base=0.01),
        )
        with pytest.raises(TransientVendorError) as failure:
            session.request("GET", f"{server.url}/x", endpoint=f"GET {server.url}/x")
    assert failure.value.status == 503
    assert len(server.seen) == 2
