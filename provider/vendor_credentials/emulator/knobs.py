"""The emulator's tunables: latency, connection cost, rate limit, clock offset and the vendor
modules' options, read without the lock and replaced whole under it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .routing import option_owner


@dataclass(frozen=True)
class Settings:
    """The emulator's tunables, replaced whole (never mutated) so readers need no lock."""

    latency: float
    connect_cost: float
    rate_limit: int | None
    options: dict[str, Any]
    clock_offset: float = 0.0  # seconds the emulator's clock runs ahead (token expiry tests)


class Knobs:
    """The ``Emulator``'s settings API, as its base class (the ``Emulator`` makes the lock and
    the settings)."""

    _lock: threading.Lock
    _settings: Settings

    def _update(self, **changes: Any) -> None:
        self._derive(lambda _: changes)

    def _derive(self, changes: Callable[[Settings], dict[str, Any]]) -> Settings:
        """Replace the settings by a function of the current ones, under the lock: two threads
        changing the same knob (advancing the clock, adding options) never lose a change."""
        with self._lock:
            self._settings = replace(self._settings, **changes(self._settings))
            return self._settings

    @property
    def latency(self) -> float:
        """Seconds added to every vendor request."""
        return self._settings.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._update(latency=max(0.0, float(seconds)))

    @property
    def connect_cost(self) -> float:
        """Seconds slept once per new TCP connection (a stand-in for a TLS handshake)."""
        return self._settings.connect_cost

    @connect_cost.setter
    def connect_cost(self, seconds: float) -> None:
        self._update(connect_cost=max(0.0, float(seconds)))

    @property
    def rate_limit(self) -> int | None:
        """Vendor requests allowed per sliding second across all vendors (None: unlimited)."""
        return self._settings.rate_limit

    @rate_limit.setter
    def rate_limit(self, per_second: int | None) -> None:
        self._update(rate_limit=None if per_second is None else max(1, int(per_second)))

    @property
    def clock_offset(self) -> float:
        """Seconds the emulator's clock (token and code expiry) runs ahead of real time."""
        return self._settings.clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator's clock forward (never back); returns the new offset."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward: seconds must be >= 0")
        moved = self._derive(lambda now: {"clock_offset": now.clock_offset + float(seconds)})
        return moved.clock_offset

    def option(self, name: str) -> Any:
        """The current value of a vendor module's option (e.g. an answer variant)."""
        option_owner(name)
        return self._settings.options[name]

    def set_option(self, name: str, value: Any) -> None:
        """Change a vendor module's option; ValueError for an unknown name or bad value."""
        checked = option_owner(name).check_option(name, value)
        self._derive(lambda now: {"options": {**now.options, name: checked}})
