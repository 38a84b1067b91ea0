"""Remove secrets from any text before it can reach a message, a log line or a report.

Secrets are registered before the first request of an operation; the redactor also knows the
encodings a secret travels in (HTTP Basic's base64, URL encoding) so an echo in any of them is
caught.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
_MIN_SECRET_LEN = 4  # shorter strings would mask ordinary words; check() refuses empty secrets


def _variants(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {f for f in forms if len(f) >= _MIN_SECRET_LEN}


class Redactor:
    """Masks registered secrets (and their common encodings) in text."""

    __slots__ = ("_forms",)

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Register a secret, e.g. the client id and secret pair of a Basic header."""
        if secret:
            self._forms |= _variants(secret)

    def add_basic(self, user: str, password: str) -> None:
        """Register the base64 form an HTTP Basic header carries."""
        self._forms |= _variants(f"{user}:{password}")
        self.add(password)

    def __call__(self, text: str) -> str:
        for form in sorted(self._forms, key=len, reverse=True):
            if form in text:
                text = text.replace(form, MASK)
        return text
