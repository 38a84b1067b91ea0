"""Error types, split by who must act.

``CredentialRejected`` means the vendor looked at the secret and said no: only the user can fix
it, it is never retried, and it is the only error that may mark a stored credential ``invalid``.
``TransientVendorError`` (network, timeouts, 429, 5xx) is retried and, when retries run out,
fails the operation without touching state. ``MalformedResponse`` is a vendor (or proxy) answer
we cannot read: never retried blindly, never a reason to store ``valid`` or ``invalid``.

Every message is built by this package from redacted parts; a vendor body is never echoed raw.
"""

from __future__ import annotations

from typing import Self


class VendorCredentialsError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(VendorCredentialsError):
    """An input that fails offline validation (raised outside ``check``, e.g. by the CLI)."""


class VendorError(VendorCredentialsError):
    """An answer (or silence) from a vendor endpoint, with the context support needs."""

    def __init__(
        self,
        *,
        vendor: str,
        endpoint: str,
        summary: str,
        status: int | None = None,
        code: str = "",
        detail: str = "",
        hint: str = "",
        reference: str = "",
        field: str = "",
    ) -> None:
        self.vendor = vendor
        self.field = field  # the input to fix, when the vendor's answer points at one
        self.endpoint = endpoint
        self.summary = summary
        self.status = status
        self.code = code
        self.detail = detail
        self.hint = hint
        self.reference = reference
        super().__init__(self.message())

    @property
    def reason(self) -> str:
        """``code: detail`` as stored in ``status_reason`` (never the secret)."""
        parts = [p for p in (self.code, self.detail) if p]
        return ": ".join(parts) if parts else (f"HTTP {self.status}" if self.status else "")

    def with_hint(self, hint: str) -> Self:
        """The same error, telling the user another next step."""
        changed = type(self).__new__(type(self))  # no __init__: subclasses add their own arguments
        changed.__dict__.update(self.__dict__, hint=hint)
        changed.args = (changed.message(),)
        return changed

    def message(self) -> str:
        status = f" -> HTTP {self.status}" if self.status is not None else ""
        text = f"{self.vendor}: {self.summary} ({self.endpoint}{status})"
        if self.reason and self.reason != f"HTTP {self.status}":
            text += f": {self.reason}"
        if self.reference:
            text += f" [{self.reference}]"
        if self.hint:
            text += f". {sentence(self.hint)}"
        return text


class CredentialRejected(VendorError):
    """The vendor rejected the credential: fix the secret (or its account, scopes, region)."""


class TransientVendorError(VendorError):
    """Network failure, timeout, rate limit or server error: safe to retry later."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)  # type: ignore[arg-type]


class MalformedResponse(VendorError):
    """The endpoint answered something we cannot read (HTML error page, bad JSON, missing field)."""


class RequestNotSent(VendorError):
    """The request could not leave safely: untrusted TLS certificate, unusable URL or CA bundle.

    Never retried (the same request would fail the same way) and never a verdict on the
    credential: the operator fixes the trust store, ``caBundle`` or the URL inputs.
    """


def sentence(text: str) -> str:
    """A hint written lower case (it may also follow a colon) starts a sentence here."""
    return text[:1].upper() + text[1:]
