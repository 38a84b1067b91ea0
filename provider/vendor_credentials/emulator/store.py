"""Emulated credentials, the access tokens handed out, the store that holds both, and the
helpers that make and label secrets. No I/O or threading: the server holds one lock around it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final


def redact(secret: str) -> str:
    """A log-safe label for a secret: a short prefix (only for long secrets) and its length."""
    prefix = secret[:4] if len(secret) >= 16 else ""
    return f"{prefix}...({len(secret)})"


_ALPHANUMERIC: Final = string.ascii_letters + string.digits


def new_secret(length: int = 40) -> str:
    """A fresh random-looking secret, used for rotation and issued tokens."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def digest(seed: str) -> bytes:
    return hashlib.sha256(seed.encode()).digest()


def stable_int(seed: str, modulo: int) -> int:
    """Deterministic identity data derived from a credential, so defaults are reproducible."""
    return int.from_bytes(digest(seed)[:8], "big") % modulo + 1


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secret_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass
class Credential:
    """A credential an emulated API knows. Subclasses are dataclasses with the vendor's fields
    (``revoked`` and ``label`` come last in their constructors, by keyword) that name, as class
    keywords, the ``Api.name`` serving them, the field ``rotate`` replaces and the field requests
    find them by (may be the secret):
    ``class AcmeKey(Credential, api="acme", secret="api_key", lookup="api_key")``."""

    api: ClassVar[str]  # the ``Api.name`` serving it
    secret_field: ClassVar[str]  # the attribute ``rotate`` replaces
    lookup_field: ClassVar[str]  # the attribute requests find it by (may be the secret)
    revoked: bool = field(default=False, kw_only=True)  # ``revoke`` sets it
    label: str | None = field(default=None, kw_only=True)  # the seed's name (``revoke`` takes it)

    def __init_subclass__(cls, *, api: str, secret: str, lookup: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.api, cls.secret_field, cls.lookup_field = api, secret, lookup

    @property
    def lookup(self) -> str:
        return str(getattr(self, self.lookup_field))

    @property
    def key(self) -> str:
        """A log-safe name: the lookup value unless it is the secret itself."""
        if self.lookup_field == self.secret_field:
            return self.label or redact(self.lookup)
        return self.lookup

    def identifiers(self) -> tuple[str, ...]:
        """What ``revoke``/``rotate`` may name it by (besides its label)."""
        return (self.lookup, str(getattr(self, self.secret_field)))

    def rotated(self, secret: str) -> None:
        """Take ``secret`` as the new secret (``rotate``); the old one stops working."""
        setattr(self, self.secret_field, secret)

    def issued(self) -> tuple[str, ...]:
        """Secrets this credential handed out besides access tokens (refresh tokens)."""
        return ()


@dataclass
class IssuedToken:
    """An access token the emulator handed out; probes check it against this record."""

    api: str
    owner: str
    expires_at: float
    scopes: tuple[str, ...] = ()
    revoked: bool = False


@dataclass
class Store:
    """All credentials (per API, by lookup value) and issued tokens; callers hold one lock."""

    credentials: dict[str, dict[str, Credential]] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)

    def add(self, cred: Credential) -> None:
        self.credentials.setdefault(cred.api, {})[cred.lookup] = cred

    def get(self, api: str, lookup: str) -> Credential | None:
        return self.credentials.get(api, {}).get(lookup)

    def all(self) -> Iterable[Credential]:
        """Every configured credential, in a stable order."""
        for creds in self.credentials.values():
            yield from creds.values()

    def find(self, key: str) -> Credential | IssuedToken:
        """Resolve an id, secret, seed label or issued token; KeyError when unknown."""
        if key in self.tokens:
            return self.tokens[key]
        for cred in self.all():
            if key == cred.label or key in cred.identifiers():
                return cred
        raise KeyError(key)

    def set_revoked(self, key: str, revoked: bool) -> None:
        """Revoke or restore a credential (its issued tokens follow their owner)."""
        self.find(key).revoked = revoked

    def restore_all(self) -> None:
        """Undo every revocation."""
        for cred in self.all():
            cred.revoked = False
        for token in self.tokens.values():
            token.revoked = False

    def rotate(self, key: str) -> str:
        """Replace a credential's secret and return the new one; the old one stops working."""
        cred = self.find(key)
        if isinstance(cred, IssuedToken):
            raise ValueError("issued access tokens cannot be rotated; rotate their client")
        secret = new_secret()
        del self.credentials[cred.api][cred.lookup]
        cred.rotated(secret)
        self.add(cred)
        return secret

    def expire_tokens(self) -> int:
        """Make every issued token expired now (to test refresh paths)."""
        for token in self.tokens.values():
            token.expires_at = 0.0
        return len(self.tokens)

    def issue(
        self,
        owner: Credential,
        token: str,
        ttl: int,
        scopes: Sequence[str] = (),
        now: float | None = None,
    ) -> None:
        """Remember an access token so probe calls can check it."""
        issued_at = time.time() if now is None else now
        self._prune(issued_at)
        self.tokens[token] = IssuedToken(owner.api, owner.lookup, issued_at + ttl, tuple(scopes))

    def _prune(self, now: float) -> None:
        """Forget long-expired tokens so memory stays bounded in long demos."""
        if len(self.tokens) < 10_000:
            return
        for token, record in list(self.tokens.items()):
            if record.expires_at < now:
                del self.tokens[token]

    def valid_token(self, api: str, token: str, now: float) -> IssuedToken | None:
        """The record for a live token of this API, or None (unknown/expired/revoked)."""
        record = self.tokens.get(token)
        if record is None or record.api != api or record.revoked or record.expires_at <= now:
            return None
        owner = self.get(api, record.owner)
        if owner is None or owner.revoked:
            return None
        return record
