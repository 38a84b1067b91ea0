"""HTTP discipline of the shared core, against the real emulator over real sockets.

Pooled thread-safe client, timeouts, retries with backoff on connection errors, 429 and 5xx,
each vendor's "retry after" header read the way that vendor means it, a cap on the total wait,
and no retry of answers about the credential (400, 401, 403). Sleeps are injected and recorded,
and the jitter is pinned to its lower bound, so the waits the client computes are asserted
exactly without waiting for them.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from vendor_credentials.core.errors import (
    CredentialRejected,
    MalformedResponse,
    TransientVendorError,
    VendorError,
)
from vendor_credentials.core.http import (
    STATS,
    HttpSettings,
    Pacer,
    RetryAfter,
    Session,
    shared_client,
)
from vendor_credentials.core.kind import Validation
from vendor_credentials.core.redact import Redactor
from vendor_credentials.core.registry import kind_for
from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator

HS = DEMO_CREDENTIALS["helpscout_mailbox"]
DOCS = DEMO_CREDENTIALS["helpscout_docs"]
IC = DEMO_CREDENTIALS["intercom_us"]
TD = DEMO_CREDENTIALS["talkdesk"]
FAST = HttpSettings(connect_timeout=2.0, read_timeout=2.0)


def inputs_for(kind: str, base_url: str) -> dict[str, Any]:
    """Valid inputs of the seeded credential of ``kind``, aimed at ``base_url``."""
    by_kind: dict[str, dict[str, Any]] = {
        "helpscout.MailboxCredential": {"app_id": HS["app_id"], "app_secret": HS["app_secret"]},
        "helpscout.DocsApiKey": {"api_key": DOCS["api_key"]},
        "intercom.AccessToken": {"access_token": IC["access_token"], "region": "us"},
        "talkdesk.ClientCredential": {
            "account_name": TD["account_name"],
            "client_id": TD["client_id"],
            "client_secret": TD["client_secret"],
        },
    }
    return {**by_kind[kind], "base_url": base_url}


class Waits:
    """A fake ``sleep``: records what the client decided to wait, waits for nothing, and moves
    a fake monotonic clock on by that much (the pacer's clock), as a real sleep would."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def lowest(low: float, _high: float) -> float:
    """Jitter pinned to its lower bound, so computed waits are exact."""
    return low


def session_for(
    kind: str,
    waits: Waits,
    settings: HttpSettings = FAST,
    *,
    clock: Callable[[], float] = time.time,
    pacer: Pacer | None = None,
) -> Session:
    vendor = kind_for(kind)
    return Session(
        vendor=vendor.vendor,
        retry_after=vendor.retry_after,
        redactor=Redactor(),
        settings=settings,
        sleep=waits,
        clock=clock,
        pacer=pacer or Pacer(waits.monotonic),  # private, on the fake clock: no hold leaks out
        jitter=lowest,
    )


def validate(
    kind: str, emulator: Emulator, waits: Waits, settings: HttpSettings = FAST, **kw: Any
) -> Validation:
    vendor = kind_for(kind)
    spec = vendor.inputs.model_validate(inputs_for(kind, emulator.base_url))
    return vendor.validate(spec, session_for(kind, waits, settings, **kw))


@pytest.fixture(autouse=True)
def clean_emulator(emulator: Emulator) -> Iterator[None]:
    """Each test starts with an empty log and leaves no fault or knob behind."""
    emulator.clear_faults()
    emulator.clear_log()
    rate_limit, latency = emulator.rate_limit, emulator.latency
    yield
    emulator.clear_faults()
    emulator.rate_limit, emulator.latency = rate_limit, latency


def statuses(emulator: Emulator) -> list[int | None]:
    return [record.status for record in emulator.requests]


# -- the pooled client ---------------------------------------------------------------------------


def test_one_client_per_settings_is_shared_by_all_threads() -> None:
    settings = HttpSettings(connect_timeout=3.25)
    seen: list[httpx.Client] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(shared_client(settings))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in seen}) == 1
    assert shared_client(HttpSettings(connect_timeout=3.5)) is not seen[0]


def test_sequential_validations_reuse_one_connection(emulator: Emulator) -> None:
    settings = HttpSettings(connect_timeout=2.5, read_timeout=2.5)  # a fresh pooled client
    before = emulator.connections
    for _ in range(5):
        validate("intercom.AccessToken", emulator, Waits(), settings)
    assert emulator.count() == 5
    assert emulator.connections - before == 1


def test_concurrent_validations_on_the_shared_client_all_succeed(emulator: Emulator) -> None:
    kinds = [
        "helpscout.MailboxCredential",
        "helpscout.DocsApiKey",
        "intercom.AccessToken",
        "talkdesk.ClientCredential",
    ] * 6
    errors: list[BaseException] = []
    results: list[Validation] = []

    def run(kind: str) -> None:
        try:
            results.append(validate(kind, emulator, Waits()))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(kind,)) for kind in kinds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == len(kinds)
    assert all(status == 200 for status in statuses(emulator))


# -- what is retried and how long the client waits -----------------------------------------------


def test_helpscout_429_waits_the_seconds_of_x_ratelimit_retry_after(emulator: Emulator) -> None:
    emulator.inject(429, path="/v2/oauth2/token")
    waits = Waits()
    validate("helpscout.MailboxCredential", emulator, waits)
    assert statuses(emulator) == [429, 200, 200]
    assert waits.seconds == [1.0]  # the emulator's X-RateLimit-Retry-After: 1


def test_docs_429_waits_the_seconds_of_x_ratelimit_reset(emulator: Emulator) -> None:
    emulator.inject(429, path="/v1/sites")
    waits = Waits()
    validate("helpscout.DocsApiKey", emulator, waits)
    assert statuses(emulator) == [429, 200]
    assert waits.seconds == [1.0]  # X-RateLimit-Reset: 1 (seconds until the window resets)


def test_intercom_429_reads_x_ratelimit_reset_as_an_epoch(emulator: Emulator) -> None:
    emulator.inject(429, path="/me")
    waits = Waits()
    validate("intercom.AccessToken", emulator, waits)
    assert statuses(emulator) == [429, 200]
    # The header is ceil(now) + 1 as a Unix time: the wait is that moment minus now.
    assert len(waits.seconds) == 1
    assert 0.9 <= waits.seconds[0] <= 2.0


def test_talkdesk_429_waits_the_seconds_of_retry_after(emulator: Emulator) -> None:
    emulator.inject(429, path="/oauth/token")
    waits = Waits()
    validate("talkdesk.ClientCredential", emulator, waits)
    assert statuses(emulator)[:2] == [429, 200]
    assert waits.seconds == [1.0]


def test_503_waits_its_retry_after_header_not_the_rate_limit_window(emulator: Emulator) -> None:
    emulator.inject(503, path="/me")
    waits = Waits()
    validate("intercom.AccessToken", emulator, waits)
    assert statuses(emulator) == [503, 200]
    assert waits.seconds == [1.0]  # Retry-After: 1, in seconds even for an epoch vendor


def test_500_without_retry_after_backs_off_exponentially(emulator: Emulator) -> None:
    emulator.inject(500, path="/me", times=3)
    waits = Waits()
    validate("intercom.AccessToken", emulator, waits)
    assert statuses(emulator) == [500, 500, 500, 200]
    assert waits.seconds == [0.25, 0.5, 1.0]  # half of 0.5 * 2**n, the jitter's lower bound


def test_retries_stop_at_max_attempts_with_a_typed_error(emulator: Emulator) -> None:
    emulator.inject(500, path="/me", times=10)
    with pytest.raises(TransientVendorError) as caught:
        validate("intercom.AccessToken", emulator, Waits())
    assert emulator.count() == 4
    message = str(caught.value)
    assert message.startswith("intercom: server error (GET ")
    assert "/me -> HTTP 500" in message
    assert "Gave up after 4 attempt(s)" in message


def test_total_wait_never_passes_the_cap(emulator: Emulator) -> None:
    emulator.inject(500, path="/me", times=10)
    waits = Waits()
    settings = HttpSettings(read_timeout=2.0, max_attempts=10, max_total_wait=2.5)
    with pytest.raises(TransientVendorError) as caught:
        validate("intercom.AccessToken", emulator, waits, settings)
    assert waits.seconds == [0.25, 0.5, 1.0]  # the next wait, 2.0, would pass 2.5 in total
    assert sum(waits.seconds) <= 2.5
    assert emulator.count() == 4
    assert "vendor-credentials:maxRetryWait" in str(caught.value)


def test_a_vendor_wait_longer_than_the_cap_gives_up_at_once(emulator: Emulator) -> None:
    emulator.inject(429, path="/me")
    waits = Waits()
    # Seen from a clock an hour behind, Intercom's reset epoch is an hour away.
    with pytest.raises(TransientVendorError) as caught:
        validate("intercom.AccessToken", emulator, waits, clock=lambda: time.time() - 3600)
    assert waits.seconds == []
    assert emulator.count() == 1  # no early retry that would only earn another 429
    assert "The vendor asks to wait 36" in str(caught.value)
    assert "maxRetryWait" in str(caught.value)


def test_a_429_makes_other_threads_calling_that_origin_wait_too(emulator: Emulator) -> None:
    first, other = Waits(), Waits()
    pacer = Pacer(other.monotonic)  # one process-wide pacer; the other thread's clock
    emulator.inject(429, path="/oauth/token")
    with pytest.raises(TransientVendorError):  # one attempt only: it is told to come back later
        validate(
            "talkdesk.ClientCredential",
            emulator,
            first,
            HttpSettings(read_timeout=2.0, max_attempts=1),
            pacer=pacer,
        )
    validate("intercom.AccessToken", emulator, other, pacer=pacer)
    assert other.seconds == [1.0]  # Talkdesk's Retry-After: 1 holds for Intercom's call too
    assert statuses(emulator) == [429, 200]


@pytest.mark.slow
def test_under_a_sustained_rate_limit_every_thread_gets_through(emulator: Emulator) -> None:
    """Four threads (the engine's plugin has four) against 8 requests a second: one shared
    pause per 429 instead of each thread burning its attempts alone (which lost ~2 in 48)."""
    tokens = [f"load-token-{index:02d}-0123456789" for index in range(48)]
    for token in tokens:
        emulator.add("intercom", access_token=token, region="us")
    emulator.rate_limit = 8
    pacer = Pacer()  # real time, shared by the threads as the process-wide one is
    vendor = kind_for("intercom.AccessToken")

    def probe(token: str) -> Validation:
        spec = vendor.inputs.model_validate({"access_token": token, "base_url": emulator.base_url})
        session = Session(
            vendor="intercom", retry_after=vendor.retry_after, redactor=Redactor(), pacer=pacer
        )
        return vendor.validate(spec, session)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(probe, tokens))
    seen = statuses(emulator)
    assert len(results) == len(tokens)
    assert seen.count(200) == len(tokens)
    assert seen.count(429) > 0  # the limit was reached


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("helpscout.MailboxCredential", 400),
        ("talkdesk.ClientCredential", 401),
        ("intercom.AccessToken", 403),
    ],
)
def test_400_401_and_403_are_answers_never_retried(
    emulator: Emulator, kind: str, status: int
) -> None:
    vendor = kind_for(kind)
    data = inputs_for(kind, emulator.base_url)
    if status == 400:
        emulator.set_option("oauth_error_status", 400)
        data["app_secret"] = "Wrong" + HS["app_secret"][5:]
    elif status == 401:
        data["client_secret"] = "Wrong" + TD["client_secret"][5:]
    else:
        emulator.add(
            "intercom", access_token="forbidden-token-0123456789", region="us", forbidden=True
        )
        data["access_token"] = "forbidden-token-0123456789"
    waits = Waits()
    try:
        with pytest.raises(CredentialRejected):
            vendor.validate(vendor.inputs.model_validate(data), session_for(kind, waits))
    finally:
        emulator.set_option("oauth_error_status", 401)
    assert statuses(emulator) == [status]
    assert waits.seconds == []


def test_a_connection_reset_is_retried(emulator: Emulator) -> None:
    emulator.inject("reset", path="/v1/sites")
    waits = Waits()
    validate("helpscout.DocsApiKey", emulator, waits)
    assert statuses(emulator) == [None, 200]  # None: dropped without an answer
    assert waits.seconds == [0.25]


def test_a_refused_connection_is_retried_then_fails_clearly() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    vendor = kind_for("intercom.AccessToken")
    spec = vendor.inputs.model_validate(
        {"access_token": IC["access_token"], "base_url": f"http://127.0.0.1:{port}"}
    )
    waits = Waits()
    with pytest.raises(TransientVendorError) as caught:
        vendor.validate(spec, session_for("intercom.AccessToken", waits))
    assert waits.seconds == [0.25, 0.5, 1.0]
    assert f"could not connect (ConnectError) (GET http://127.0.0.1:{port}/me)" in str(caught.value)


def test_an_answer_slower_than_the_read_timeout_is_retried(emulator: Emulator) -> None:
    emulator.inject("hang", path="/me", seconds=1.0)
    settings = HttpSettings(connect_timeout=1.0, read_timeout=0.3)
    waits = Waits()
    validate("intercom.AccessToken", emulator, waits, settings)
    assert emulator.count() == 2
    assert waits.seconds == [0.25]


def test_an_endpoint_that_never_answers_fails_with_the_timeout_named(emulator: Emulator) -> None:
    emulator.inject("hang", path="/me", seconds=1.0, times=2)
    settings = HttpSettings(connect_timeout=1.0, read_timeout=0.3, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(TransientVendorError) as caught:
        validate("intercom.AccessToken", emulator, Waits(), settings)
    assert time.monotonic() - started < 2.0  # two reads of 0.3 s, not two hangs of 1 s
    assert "no complete answer within 0.3s (ReadTimeout)" in str(caught.value)


def test_a_body_trickling_past_the_read_timeout_is_cut_off() -> None:
    """Each byte arrives within the read timeout, the whole body does not: a deadline applies."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def trickle() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n")
                for _ in range(40):
                    time.sleep(0.05)
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        return

        server = threading.Thread(target=trickle, daemon=True)
        server.start()
        session = session_for(
            "intercom.AccessToken",
            Waits(),
            HttpSettings(connect_timeout=1.0, read_timeout=0.5, max_attempts=1),
        )
        started = time.monotonic()
        with pytest.raises(TransientVendorError) as caught:
            session.request("GET", f"http://127.0.0.1:{port}/me", endpoint="GET /me")
        assert time.monotonic() - started < 1.5  # the body alone would take 2 s
        assert "no complete answer within 0.5s" in str(caught.value)
        server.join(timeout=5)


def test_max_attempts_below_one_still_makes_one_attempt(emulator: Emulator) -> None:
    emulator.inject(500, path="/me")
    with pytest.raises(TransientVendorError):
        validate("intercom.AccessToken", emulator, Waits(), HttpSettings(max_attempts=0))
    assert emulator.count() == 1


def test_process_counters_record_attempts_retries_and_429s(emulator: Emulator) -> None:
    emulator.inject(429, path="/me", times=2)
    before = (STATS.attempts, STATS.retries, STATS.rate_limited)
    validate("intercom.AccessToken", emulator, Waits())
    after = (STATS.attempts, STATS.retries, STATS.rate_limited)
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (3, 2, 2)


# -- how each vendor's header is read (the normalisation itself) ---------------------------------

NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("kind", "headers", "expected"),
    [
        ("helpscout.MailboxCredential", {"X-RateLimit-Retry-After": "7"}, 7.0),
        ("helpscout.DocsApiKey", {"X-RateLimit-Reset": "7"}, 7.0),
        ("intercom.AccessToken", {"X-RateLimit-Reset": str(int(NOW) + 7)}, 7.0),
        ("talkdesk.ClientCredential", {"Retry-After": "7"}, 7.0),
        ("intercom.AccessToken", {"Retry-After": "7"}, 7.0),  # seconds, never an epoch
        ("intercom.AccessToken", {"X-RateLimit-Reset": "7"}, 7.0),  # too small to be an epoch
        ("talkdesk.ClientCredential", {"Retry-After": formatdate(NOW + 7, usegmt=True)}, 7.0),
        ("intercom.AccessToken", {"X-RateLimit-Reset": str(int(NOW) - 5)}, 0.0),  # in the past
    ],
    ids=[
        "helpscout-seconds",
        "docs-seconds",
        "intercom-epoch",
        "talkdesk-seconds",
        "intercom-retry-after-fallback",
        "intercom-small-value",
        "http-date",
        "epoch-in-the-past",
    ],
)
def test_each_vendor_header_is_normalised_to_seconds(
    kind: str, headers: dict[str, str], expected: float
) -> None:
    assert kind_for(kind).retry_after.seconds(httpx.Headers(headers), NOW) == expected


@pytest.mark.parametrize("raw", ["soon", "nan", "inf", "-3", "", "1e999"])
def test_unusable_retry_after_values_are_ignored(raw: str) -> None:
    assert RetryAfter("Retry-After").seconds(httpx.Headers({"Retry-After": raw}), NOW) is None


def test_rate_limit_window_headers_do_not_delay_a_5xx_retry() -> None:
    docs = kind_for("helpscout.DocsApiKey").retry_after
    headers = httpx.Headers({"X-RateLimit-Reset": "600"})
    assert docs.seconds(headers, NOW, status=429) == 600.0
    assert docs.seconds(headers, NOW, status=500) is None


# -- answers that are not what they seem ---------------------------------------------------------


def test_a_gzip_encoded_answer_is_decoded_before_parsing() -> None:
    payload = {"type": "admin", "id": "1", "app": {"id_code": "abc", "region": "US"}}

    def gzipped(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=gzip.compress(json.dumps(payload).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    session = session_for("intercom.AccessToken", Waits())
    session.client = httpx.Client(transport=httpx.MockTransport(gzipped))
    reply = session.request("GET", "https://api.intercom.io/me", endpoint="GET /me")
    assert reply.json() == payload


def test_a_body_with_a_broken_content_encoding_is_a_malformed_answer() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not gzip", headers={"Content-Encoding": "gzip"})

    session = session_for("intercom.AccessToken", Waits())
    session.client = httpx.Client(transport=httpx.MockTransport(broken))
    with pytest.raises(MalformedResponse) as caught:
        session.request("GET", "https://api.intercom.io/me", endpoint="GET /me")
    assert "could not be decoded" in str(caught.value)


def test_an_unusable_url_is_a_typed_error_not_a_raw_exception() -> None:
    session = session_for("talkdesk.ClientCredential", Waits())
    with pytest.raises(VendorError) as caught:
        session.request("POST", "https://acme\n.talkdeskid.com/oauth/token", endpoint="POST x")
    assert "the request URL cannot be used (InvalidURL)" in str(caught.value)
