"""Fingerprints: tell two secrets apart, reveal nothing else, cost microseconds.

``fp2:<key id>:<mac>``: ``mac`` is the first 16 hex digits of HMAC-SHA256(key, encoding of the
kind and every secret part, each prefixed by its length, so no two inputs encode alike) and
``key id`` the first 8 hex digits of HMAC-SHA256(key, a fixed label): it names the key without
revealing it. The same secret has the same fingerprint in every stack that uses the same key,
which is what the audit compares; fingerprints with different scheme or key id are never
compared (the audit says so instead).

The key is the team's ``vendor-credentials:fingerprintKey`` (secret stack config, the same value in
every stack a team compares). Without it the key is ``PUBLIC_KEY``, written below: then anyone
holding a fingerprint can test a guess of the secret against it, at HMAC speed. Vendor secrets are
long and random, out of reach of guessing; ``weakness`` names secrets that are not.

``fp1:`` (100,000 rounds of PBKDF2, version 0.1.0) is no longer written: state that holds it gets
an ``fp2`` value at the next ``up`` or ``refresh``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import string
from functools import lru_cache

SCHEME = "fp2"
CONFIG_KEY = "fingerprintKey"  # in the vendor-credentials config namespace
PUBLIC_KEY = "vendor-credentials/fp2/public-key"  # used when no fingerprintKey is set: not secret
_KEY_ID_LABEL = b"vendor-credentials/fp2/key-id"
_CURRENT = re.compile(r"^fp2:[0-9a-f]{8}:[0-9a-f]{16}$")
_OLD = re.compile(r"^fp1:[0-9a-f]{16}$")

# A secret weaker than this by its length and character classes is "guessable" (see weakness).
MIN_LENGTH = 20
MIN_DISTINCT = 8
MIN_BITS = 80


def _key_bytes(key: str | None) -> bytes:
    return (key or PUBLIC_KEY).encode()


@lru_cache(maxsize=16)
def key_id(key: str | None) -> str:
    """8 hex digits naming a key (``None``: the public key); one-way, so safe to store."""
    return hmac.new(_key_bytes(key), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:8]


PUBLIC_KEY_ID = key_id(None)


def _encode(kind: str, secrets: tuple[str, ...]) -> bytes:
    parts = [SCHEME.encode(), kind.encode(), *(s.encode() for s in secrets)]
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def fingerprint(kind: str, key: str | None, *secrets: str) -> str:
    """``fp2:<key id>:<16 hex>`` of one credential's secret material (``key`` None: public key)."""
    mac = hmac.new(_key_bytes(key), _encode(kind, secrets), hashlib.sha256).hexdigest()[:16]
    return f"{SCHEME}:{key_id(key)}:{mac}"


def is_current(value: object) -> bool:
    """A well-formed fingerprint of the current scheme (any key)."""
    return isinstance(value, str) and _CURRENT.match(value) is not None


def family(value: str) -> str:
    """What a fingerprint can be compared with: ``fp2:<key id>``, ``fp1``, or '' (not one)."""
    if _CURRENT.match(value):
        return value.rsplit(":", 1)[0]
    if _OLD.match(value):
        return "fp1"
    return ""


def describe_family(label: str) -> str:
    """A family for people: which scheme and which key."""
    if label == "fp1":
        return "fp1 (old scheme)"
    if label == f"{SCHEME}:{PUBLIC_KEY_ID}":
        return "fp2, public key (no fingerprintKey)"
    return f"fp2, key {label.rsplit(':', 1)[-1]}"


def weakness(secret: str) -> str:
    """Why a secret looks guessable ('' when it does not); never quotes the secret."""
    if len(secret) < MIN_LENGTH:
        return f"only {len(secret)} characters"
    distinct = len(set(secret))
    if distinct < MIN_DISTINCT:
        return f"only {distinct} distinct character{'s' if distinct > 1 else ''}"
    bits = len(secret) * math.log2(_alphabet(set(secret)))
    if bits < MIN_BITS:
        return f"about {int(bits)} bits by its length and character set"
    return ""


def _alphabet(chars: set[str]) -> int:
    """Size of the smallest usual alphabet the characters come from (digits, hex, classes)."""
    for alphabet in (string.digits, "0123456789abcdef", "0123456789ABCDEF"):
        if chars <= set(alphabet):
            return len(alphabet)
    size = 0
    for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        if chars & set(group):
            size += len(group)
    if any(not c.isalnum() for c in chars):
        size += 32
    return size
