"""When to come back: vendors' retry-after headers, per-origin pacing and the retry counters.

A 429 or 5xx answer is retried by ``http.Session`` after the wait these say; the pacer shares a
vendor's "come back later" with every worker thread calling the same origin.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# An "epoch" header below this (2001-09-09) cannot be a reset time: it is read as seconds.
_EPOCH_FLOOR = 1_000_000_000.0


def _finite(raw: str | None) -> float | None:
    """A non-negative finite number from a header value, else None."""
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _standard_retry_after(raw: str | None, now: float) -> float | None:
    """RFC 9110 ``Retry-After``: delay-seconds or an HTTP date."""
    if raw is None:
        return None
    seconds = _finite(raw)
    if seconds is not None:
        return seconds
    try:  # vendor text: a year or offset out of range is "no usable header", never a crash
        seconds = parsedate_to_datetime(raw.strip()).timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass(frozen=True)
class RetryAfter:
    """How a vendor says "come back later": header name and whether it holds seconds or an epoch."""

    header: str = "Retry-After"
    epoch: bool = False

    def seconds(self, headers: Mapping[str, str], now: float, *, status: int = 429) -> float | None:
        """Seconds to wait before retrying, or None when the answer does not say.

        The vendor's own header is a rate-limit header that some vendors send on every answer,
        so it only speaks for a 429; the standard ``Retry-After`` (always seconds or a date,
        never an epoch) speaks for any status.
        """
        if status == 429 and self.header.lower() != "retry-after":
            value = _finite(headers.get(self.header))
            if value is not None:
                if self.epoch and value >= _EPOCH_FLOOR:
                    return max(0.0, value - now)
                return value
        return _standard_retry_after(headers.get("Retry-After"), now)


@dataclass
class RequestLog:
    """Counters a test or benchmark can read: attempts, retries and 429s seen by this process."""

    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


STATS = RequestLog()


class Pacer:
    """Per-origin "not before" times shared by every thread of the process.

    A 429 is about the account or app, not about one request: when one thread is told to come
    back later, the engine's other worker threads calling the same origin wait too, instead of
    using up their attempts against a window that is still closed.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def hold(self, origin: str, seconds: float) -> None:
        """Ask every caller of ``origin`` to wait ``seconds`` from now."""
        with self._lock:
            until = self._clock() + seconds
            self._until[origin] = max(self._until.get(origin, 0.0), until)

    def remaining(self, origin: str) -> float:
        """Seconds left before ``origin`` may be called again (0 when it may)."""
        with self._lock:
            return max(0.0, self._until.get(origin, 0.0) - self._clock())


PACER = Pacer()

Sleep = Callable[[float], None]
