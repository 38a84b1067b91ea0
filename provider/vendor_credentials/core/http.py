"""The one HTTP path every vendor request takes: pooled client, timeouts, retries, safe errors.

* One ``httpx.Client`` per provider process and TLS setting, shared by the engine's 4 worker
  threads (httpx clients are thread-safe), so each vendor host costs one connection setup, not
  one per resource.
* Retries with exponential backoff and jitter on connection errors, timeouts, 429 and 5xx,
  honouring the vendor's retry-after header (normalised by the vendor's ``RetryAfter``), with a
  cap on the total wait: when the vendor asks for more than is left of the cap we stop at once
  instead of retrying too early. 400, 401 and 403 are answers, never retried.
* TLS is always verified (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``, plus ``caBundle``); an
  untrusted certificate is a clear, non-retried error.
* Redirects are never followed (a credential must not travel to another origin), bodies are
  decoded and read up to a size limit and a deadline, and every error message is built from
  redacted parts.

Settings, TLS trust and the shared client live in ``transport``; retry-after headers, per-origin
pacing and the counters in ``retry``. Their names are re-exported here, where callers import them.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import MalformedResponse, RequestNotSent, TransientVendorError, VendorError
from .redact import Redactor
from .retry import PACER, STATS, Pacer, RequestLog, RetryAfter, Sleep
from .transport import (
    LOOPBACK_PATTERNS,
    HttpSettings,
    _certificate_error,
    _ssl_context,
    shared_client,
)

if TYPE_CHECKING:  # httpx is imported lazily: the plugin's check/diff path never needs it
    import httpx

__all__ = [
    "LOOPBACK_PATTERNS",
    "PACER",
    "REFERENCE_HEADERS",
    "STATS",
    "HttpSettings",
    "Pacer",
    "Reply",
    "RequestLog",
    "RetryAfter",
    "Session",
    "Sleep",
    "_ssl_context",
    "reference_of",
    "shared_client",
]

log = logging.getLogger("vendor_credentials")


@dataclass
class Reply:
    """A vendor answer, read whole (within the size limit)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    endpoint: str
    # The operation's redactor: vendor text is redacted with it before it is cut to size.
    redactor: Redactor = field(default_factory=Redactor, repr=False)

    def json(self) -> Any:
        """Parsed JSON, or None when the body is not JSON (HTML error pages, truncation)."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None


@dataclass
class Session:
    """Requests for one credential operation: knows the vendor, its secrets and the settings."""

    vendor: str
    retry_after: RetryAfter
    redactor: Redactor
    settings: HttpSettings = field(default_factory=HttpSettings)
    sleep: Sleep = time.sleep
    clock: Callable[[], float] = time.time
    client: httpx.Client | None = None  # tests and tools may bring their own; default: shared
    pacer: Pacer = field(default_factory=lambda: PACER)
    jitter: Callable[[float, float], float] = random.uniform  # tests pin it to assert the waits

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
        """Send with pacing and retries; return the first non-retryable answer or raise."""
        client = self.client if self.client is not None else self._shared_client(endpoint)
        attempts = max(1, self.settings.max_attempts)
        waited = 0.0
        attempt = 0
        last: TransientVendorError | None = None
        stop_reason = ""
        origin = _origin_of(url)
        self._register_credentials(headers, auth)
        for attempt in range(1, attempts + 1):
            hold = self.pacer.remaining(origin)
            if hold > 0:  # this origin asked this process (maybe another thread) to wait
                left = self.settings.max_total_wait - waited
                hold = min(hold, max(left, 0.0))  # the jitter never pushes past the cap
                self.sleep(hold)
                waited += hold
            with STATS.lock:
                STATS.attempts += 1
                if attempt > 1:
                    STATS.retries += 1
            outcome = self._attempt(client, method, url, endpoint, headers, data, auth)
            if isinstance(outcome, Reply):
                return outcome
            last = outcome
            if last.retry_after and last.retry_after <= self.settings.max_total_wait:
                # The vendor's word holds for every thread calling this origin, and this
                # thread waits for it at the top of its next attempt.
                self.pacer.hold(origin, self._backoff(attempt, last.retry_after))
            if attempt == attempts:
                break
            left = self.settings.max_total_wait - waited
            cap = f"the {max(left, 0.0):.1f}s left of vendor-credentials:maxRetryWait"
            if last.retry_after is not None and last.retry_after > left:
                # Retrying before the vendor's window reopens only earns another 429.
                stop_reason = f"the vendor asks to wait {last.retry_after:.1f}s, more than {cap}; "
                break
            if last.retry_after:  # held on the pacer above, waited at the top of the loop
                log.debug("%s: retrying %s when the vendor allows", self.vendor, endpoint)
                continue
            delay = self._backoff(attempt, None)
            if delay > left:
                stop_reason = f"the next wait ({delay:.1f}s) would pass {cap}; "
                break
            log.debug("%s: retrying %s in %.2fs (%s)", self.vendor, endpoint, delay, last.summary)
            self.sleep(delay)
            waited += delay
        assert last is not None
        last.hint = (
            f"{stop_reason}gave up after {attempt} attempt(s) and {waited:.1f}s of waiting; "
            "nothing was changed, run the command again later"
        )
        last.args = (last.message(),)
        raise last

    def _register_credentials(
        self, headers: Mapping[str, str] | None, auth: tuple[str, str] | None
    ) -> None:
        """Every credential form this request sends is masked wherever a vendor echoes it."""
        if auth is not None:
            self.redactor.add_basic(*auth)
        for name, value in (headers or {}).items():
            credential = value.partition(" ")[2].strip()
            if name.lower() == "authorization" and credential:
                self.redactor.add(credential)

    def _attempt(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        endpoint: str,
        headers: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        auth: tuple[str, str] | None,
    ) -> Reply | TransientVendorError:
        """One try: the answer, a retryable error to return, or a final error raised."""
        import httpx

        try:
            request = client.build_request(method, url, headers=dict(headers or {}), data=data)
            if auth is not None:
                request = next(httpx.BasicAuth(*auth).auth_flow(request))
            reply = self._send_once(client, request, endpoint)
        except httpx.TimeoutException as exc:
            return self._transient(endpoint, self._timeout_summary(exc))
        except httpx.ConnectError as exc:
            untrusted = _certificate_error(exc)
            if untrusted is not None:
                raise self._untrusted(endpoint, url, untrusted) from None
            return self._transient(endpoint, f"could not connect ({type(exc).__name__})")
        except httpx.UnsupportedProtocol as exc:
            raise self._bad_url(endpoint, exc) from None
        except httpx.ProxyError as exc:
            return self._transient(endpoint, f"the HTTPS proxy failed ({type(exc).__name__})")
        except httpx.TransportError as exc:
            return self._transient(
                endpoint, f"the connection broke before a complete answer ({type(exc).__name__})"
            )
        except httpx.InvalidURL as exc:
            raise self._bad_url(endpoint, exc) from None
        except httpx.DecodingError:
            raise MalformedResponse(
                vendor=self.vendor,
                endpoint=endpoint,
                summary="answered a body that could not be decoded (bad content-encoding)",
                hint="a proxy or gateway in between may be answering instead of the vendor",
            ) from None
        if reply.status == 429 or reply.status >= 500:
            if reply.status == 429:
                with STATS.lock:
                    STATS.rate_limited += 1
            return self._transient(
                endpoint,
                "rate limited" if reply.status == 429 else "server error",
                status=reply.status,
                retry_after=self.retry_after.seconds(
                    reply.headers, self.clock(), status=reply.status
                ),
                reference=reference_of(reply.headers, self.redactor),
            )
        if 300 <= reply.status < 400:
            raise MalformedResponse(
                vendor=self.vendor,
                endpoint=endpoint,
                status=reply.status,
                summary="unexpected redirect, not followed so the credential stays with its origin",
                detail=self.redactor(_origin_of(reply.headers.get("location", ""))),
                hint="check base_url (a gateway should answer, not redirect)",
            )
        return reply

    def _shared_client(self, endpoint: str) -> httpx.Client:
        try:
            return shared_client(self.settings)
        except (OSError, ssl.SSLError) as exc:
            source = (
                f"vendor-credentials:caBundle '{self.settings.ca_bundle}'"
                if self.settings.ca_bundle
                else "SSL_CERT_FILE / SSL_CERT_DIR"
            )
            raise RequestNotSent(
                vendor=self.vendor,
                endpoint=endpoint,
                summary=f"could not load the CA certificates of {source} "
                f"({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})",
                hint="point it at a readable PEM file of CA certificates",
            ) from None

    def _send_once(self, client: httpx.Client, request: httpx.Request, endpoint: str) -> Reply:
        """Send a built request and read its answer within the size and time limits."""
        import httpx

        response = client.send(request, stream=True)
        try:
            # A slow trickle must not keep an operation alive forever: the read timeout applies
            # to each read, this deadline to the whole body.
            deadline = time.monotonic() + self.settings.read_timeout
            limit = self.settings.max_body_bytes
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:  # refused before a byte is read
                raise self._too_large(endpoint, response.status_code, limit)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():  # content-encoding (gzip...) undone
                size += len(chunk)
                if size > limit:
                    raise self._too_large(endpoint, response.status_code, limit)
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the body did not arrive within the read timeout")
        finally:
            response.close()
        return Reply(
            status=response.status_code,
            headers=response.headers,
            body=b"".join(chunks),
            endpoint=endpoint,
            redactor=self.redactor,
        )

    def _too_large(self, endpoint: str, status: int, limit: int) -> MalformedResponse:
        return MalformedResponse(
            vendor=self.vendor,
            endpoint=endpoint,
            status=status,
            summary=f"response body larger than {limit} bytes, not read",
            hint="a proxy or gateway in between may be answering instead of the vendor",
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

    def _timeout_summary(self, exc: httpx.TimeoutException) -> str:
        import httpx

        name = type(exc).__name__
        if isinstance(exc, httpx.ConnectTimeout):
            return f"could not connect within {self.settings.connect_timeout:g}s ({name})"
        if isinstance(exc, httpx.PoolTimeout):
            return f"no free connection in the pool ({name})"
        return f"no complete answer within {self.settings.read_timeout:g}s ({name})"

    def _untrusted(
        self, endpoint: str, url: str, error: ssl.SSLCertVerificationError
    ) -> VendorError:
        reason = error.verify_message or error.reason or "certificate verification failed"
        return RequestNotSent(
            vendor=self.vendor,
            endpoint=endpoint,
            summary=f"the TLS certificate of {_origin_of(url)} is not trusted ({reason}); "
            "nothing was sent",
            hint="if a corporate proxy inspects TLS, give its CA with "
            "`pulumi config set vendor-credentials:caBundle <pem file>` or SSL_CERT_FILE; "
            "otherwise someone may be intercepting the connection",
        )

    def _bad_url(self, endpoint: str, exc: Exception) -> VendorError:
        return RequestNotSent(
            vendor=self.vendor,
            endpoint=endpoint,
            summary=f"the request URL cannot be used ({type(exc).__name__})",
            hint="check base_url and the inputs that name the vendor's host (account, region)",
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """The vendor's delay when it gave one (with a little jitter so threads that were
        limited together do not return together), else exponential backoff with jitter."""
        if retry_after is not None and retry_after > 0:
            return retry_after + self.jitter(0, min(1.0, 0.1 + retry_after / 4))
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return self.jitter(ceiling / 2, ceiling)


def _origin_of(location: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError:
        return ""
    if not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


REFERENCE_HEADERS = ("Correlation-Id", "X-Request-Id", "Request-Id")


def reference_of(headers: Mapping[str, str], redactor: Redactor) -> str:
    """The vendor's request id from an answer's headers, for support ('' when none)."""
    for name in REFERENCE_HEADERS:
        value = headers.get(name)
        if value:
            return f"{name}: {redactor.clip(value, 80)}"
    return ""
