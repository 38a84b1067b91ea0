"""The one HTTP path every vendor request takes: pooled client, timeouts, retries, safe errors.

* One ``httpx.Client`` per provider process and TLS setting, shared by the engine's 4 worker
  threads (httpx clients are thread-safe), so each vendor host costs one connection setup, not
  one per resource.
* Retries with exponential backoff and full jitter on connection errors, timeouts, 429 and 5xx,
  honouring the vendor's retry-after header (normalised by the vendor's ``RetryAfter``), with a
  cap on the total wait. 400, 401 and 403 are answers, never retried.
* Redirects are never followed (a credential must not travel to another origin), bodies are read
  up to a size limit, and every error message is built from redacted parts.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from .errors import MalformedResponse, TransientVendorError
from .redact import Redactor

if TYPE_CHECKING:  # httpx is imported lazily: the plugin's check/diff path never needs it
    import httpx


@dataclass(frozen=True)
class HttpSettings:
    """Tunables, from stack config ``vendor-credentials:<name>`` (see README, "Settings")."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_total_wait: float = 30.0
    max_body_bytes: int = 1_000_000
    ca_bundle: str | None = None


@dataclass(frozen=True)
class RetryAfter:
    """How a vendor says "come back later": header name and whether it holds seconds or an epoch."""

    header: str = "Retry-After"
    epoch: bool = False

    def seconds(self, headers: Mapping[str, str], now: float) -> float | None:
        raw = headers.get(self.header) or headers.get("Retry-After")
        if raw is None:
            return None
        raw = raw.strip()
        try:
            value = float(raw)
        except ValueError:
            try:  # Retry-After may be an HTTP date
                return max(0.0, parsedate_to_datetime(raw).timestamp() - now)
            except (TypeError, ValueError):
                return None
        if value != value or value < 0:  # NaN or negative
            return None
        return max(0.0, value - now) if self.epoch else value


@dataclass
class Reply:
    """A vendor answer, read whole (within the size limit)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    endpoint: str

    def json(self) -> Any:
        """Parsed JSON, or None when the body is not JSON (HTML error pages, truncation)."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass
class RequestLog:
    """Counters a test or benchmark can read: attempts and retries made by this process."""

    attempts: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


STATS = RequestLog()

_clients: dict[tuple[object, ...], httpx.Client] = {}
_clients_lock = threading.Lock()


def shared_client(settings: HttpSettings) -> httpx.Client:
    """The process-wide pooled client for these settings (created on first use)."""
    key = (settings.connect_timeout, settings.read_timeout, settings.ca_bundle)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                import httpx

                verify: Any = True
                if settings.ca_bundle:
                    import ssl

                    verify = ssl.create_default_context(cafile=settings.ca_bundle)
                client = httpx.Client(
                    timeout=httpx.Timeout(
                        settings.read_timeout,
                        connect=settings.connect_timeout,
                        pool=settings.connect_timeout + settings.read_timeout,
                    ),
                    limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                    follow_redirects=False,
                    verify=verify,
                    trust_env=True,
                    headers={"User-Agent": "pulumi-vendor-credentials/0.1"},
                )
                _clients[key] = client
    return client


Sleep = Callable[[float], None]


@dataclass
class Session:
    """Requests for one credential operation: knows the vendor, its secrets and the settings."""

    vendor: str
    retry_after: RetryAfter
    redactor: Redactor
    settings: HttpSettings = field(default_factory=HttpSettings)
    sleep: Sleep = time.sleep
    clock: Callable[[], float] = time.time

    def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Reply:
        """Send with retries; return the first non-retryable answer or raise a typed error."""
        import httpx

        client = shared_client(self.settings)
        waited = 0.0
        last: TransientVendorError | None = None
        for attempt in range(1, self.settings.max_attempts + 1):
            with STATS.lock:
                STATS.attempts += 1
                if attempt > 1:
                    STATS.retries += 1
            try:
                reply = self._send_once(client, method, url, endpoint, headers, data, auth)
            except httpx.TimeoutException as exc:
                last = self._transient(endpoint, f"timed out ({type(exc).__name__})")
            except httpx.TransportError as exc:
                last = self._transient(endpoint, f"could not connect ({type(exc).__name__})")
            else:
                if reply.status == 429 or reply.status >= 500:
                    last = self._transient(
                        endpoint,
                        "rate limited" if reply.status == 429 else "server error",
                        status=reply.status,
                        retry_after=self.retry_after.seconds(reply.headers, self.clock()),
                        reference=_reference(reply.headers),
                    )
                elif 300 <= reply.status < 400:
                    raise MalformedResponse(
                        vendor=self.vendor,
                        endpoint=endpoint,
                        status=reply.status,
                        summary="unexpected redirect, not followed so the credential stays "
                        "with its origin",
                        detail=self.redactor(_origin_of(reply.headers.get("location", ""))),
                        hint="check base_url (a gateway should answer, not redirect)",
                    )
                else:
                    return reply
            if attempt == self.settings.max_attempts:
                break
            delay = self._backoff(attempt, last.retry_after)
            if waited + delay > self.settings.max_total_wait:
                break
            self.sleep(delay)
            waited += delay
        assert last is not None
        last.hint = (
            f"gave up after {attempt} attempt(s) and {waited:.1f}s of waiting; nothing was "
            "changed, run the command again later"
        )
        last.args = (last.message(),)
        raise last

    def _send_once(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        endpoint: str,
        headers: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
    ) -> Reply:
        request = client.build_request(method, url, headers=dict(headers or {}), data=data)
        if auth is not None:
            import httpx

            request = next(httpx.BasicAuth(*auth).auth_flow(request))
        response = client.send(request, stream=True)
        try:
            limit = self.settings.max_body_bytes
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limit:
                    raise MalformedResponse(
                        vendor=self.vendor,
                        endpoint=endpoint,
                        status=response.status_code,
                        summary=f"response body larger than {limit} bytes, not read",
                        hint="a proxy or gateway in between may be answering instead of the vendor",
                    )
                chunks.append(chunk)
        finally:
            response.close()
        return Reply(
            status=response.status_code,
            headers=response.headers,
            body=b"".join(chunks),
            endpoint=endpoint,
        )

    def _transient(
        self,
        endpoint: str,
        summary: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        reference: str = "",
    ) -> TransientVendorError:
        return TransientVendorError(
            vendor=self.vendor,
            endpoint=endpoint,
            summary=summary,
            status=status,
            retry_after=retry_after,
            reference=reference,
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after + random.uniform(0, 0.1), self.settings.max_total_wait)
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def _origin_of(location: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(location)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else ""


REFERENCE_HEADERS = ("Correlation-Id", "X-Request-Id", "Request-Id")


def _reference(headers: Mapping[str, str]) -> str:
    for name in REFERENCE_HEADERS:
        value = headers.get(name)
        if value:
            return f"{name}: {value[:80]}"
    return ""
