"""Fingerprints: tell two secrets apart, reveal nothing else.

``fingerprint = "fp1:" + hex(PBKDF2-HMAC-SHA256(secret, salt, 100_000 rounds))[:16]`` where the
salt is ``vendor-credentials/fp1/<kind>``. It depends only on the kind and the secret, so the same
secret used in two stacks (dev and prod) has the same fingerprint, which is what the audit looks
for. 64 bits of output make accidental collisions negligible for any realistic fleet. Vendor
secrets are long and random (>= 128 bits), so the fingerprint cannot be inverted; for a short or
guessable secret the 100,000 PBKDF2 rounds make each guess cost ~50 ms of CPU, which slows but does
not prevent a dictionary attack: treat fingerprints as non-secret but not public.
"""

from __future__ import annotations

import hashlib
import threading

VERSION = "fp1"
ROUNDS = 100_000

# Memo keyed by a SHA-256 of (kind, secret), never by the secret itself: the plugin process asks
# for the same fingerprint in check, diff and create, and PBKDF2 is deliberately slow.
_memo: dict[str, str] = {}
_memo_lock = threading.Lock()


def fingerprint(kind: str, *secrets: str) -> str:
    """Fingerprint of one credential's secret material (several parts are joined unambiguously)."""
    material = "\x00".join(secrets).encode()
    salt = f"vendor-credentials/{VERSION}/{kind}".encode()
    key = hashlib.sha256(salt + b"\x00" + material).hexdigest()
    with _memo_lock:
        cached = _memo.get(key)
    if cached is None:
        cached = f"{VERSION}:" + hashlib.pbkdf2_hmac("sha256", material, salt, ROUNDS).hex()[:16]
        with _memo_lock:
            if len(_memo) > 4096:
                _memo.clear()
            _memo[key] = cached
    return cached
