"""Credentials whose proof changes what must be presented next time: a rotating refresh token.

The config value is only the seed. Each exchange (``grant_type=refresh_token``) may burn the
token it presents and return its successor; the newest refresh token and the current access
token are carried in state as secret outputs (``Carried``, declared on the kind) and used next
time. To rotate as rarely as possible, a stored access token still valid for more than
``RENEW_MARGIN`` is proved by a probe; an exchange happens only when it has (nearly) expired,
the seed input changed ("start from this one") or the client id or secret did (only an exchange
presents them), and only where its result is certainly saved (``core/rotation.py``). Otherwise
``RotationDeferred``: a refresh keeps the stored state and says how to renew, ``diff`` plans an
update so ``pulumi up`` renews it, the audit says "not proved". A stored access token the vendor
refuses before its expiry is settled by an exchange where one may be made (the refresh token
decides between "expired early" and "revoked"); elsewhere the credential is invalid with both
remedies in its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from . import flows
from .errors import CredentialRejected, VendorCredentialsError, VendorError
from .http import Reply, Session
from .kind import Carried, CredentialKind, Validation
from .stored import input_value

RENEW_MARGIN = timedelta(minutes=5)
REFRESH_TOKEN = "current_refresh_token"  # the carried outputs of a RefreshTokenKind
ACCESS_TOKEN = "current_access_token"
# OAuth2 errors (RFC 6749 5.2) about the client, not the grant: its id or secret is wrong.
CLIENT_REFUSED = frozenset({"invalid_client", "unauthorized_client"})
# An exchange answered with a refresh token but no usable access token: saved as expired now.
UNREADABLE_HINT = (
    "the next `pulumi up` exchanges the refresh token it carried; if a proxy or gateway is in "
    "between, check it"
)


class RotationDeferred(VendorCredentialsError):
    """Proving now needs an exchange, and this operation's result would not be saved."""


class ExchangedUnproven(VendorCredentialsError):
    """The exchange succeeded (the presented refresh token is spent) but the probe after it
    failed: the provider still saves ``carried`` (the successor), with ``cause`` as the reason."""

    def __init__(
        self, cause: VendorCredentialsError, carried: Mapping[str, str], expires_at: datetime
    ) -> None:
        super().__init__(str(cause))
        self.cause, self.carried, self.expires_at = cause, dict(carried), expires_at


@dataclass(frozen=True)
class Carry:
    """What an operation knows from state, and whether it may rotate."""

    stored: Mapping[str, str] = field(default_factory=dict)  # carried outputs ('' when none)
    expires_at: datetime | None = None  # the stored access token's expiry
    may_rotate: bool = False
    seed_changed: bool = True  # the seed input is not the one the chain started from
    # The client id or secret input changed: only an exchange presents them (the probe with the
    # stored access token never does), so renew exchanges as if the access token were due.
    client_changed: bool = False


def parse_iso(text: Any) -> datetime | None:
    """A stored ``...Z`` timestamp, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def renewal_due(expires_at: datetime | None, now: datetime | None = None) -> bool:
    """The access token has expired, or will within ``RENEW_MARGIN`` (or its expiry is unknown)."""
    moment = now or datetime.now(UTC)
    return expires_at is None or expires_at - moment <= RENEW_MARGIN


def deferred_reason(title: str) -> str:
    return (
        f"the {title}'s access token has expired: `pulumi refresh --skip-preview` or `pulumi up` "
        "renews it (a refresh with a preview phase never exchanges the single-use refresh token)"
    )


class RefreshTokenKind(CredentialKind):
    """A kind proved by an OAuth2 refresh-token chain; subclasses declare data only."""

    seed_field: ClassVar[str] = "refresh_token"  # the input holding the seed
    client_id_field: ClassVar[str] = "client_id"
    client_secret_field: ClassVar[str] = "client_secret"
    token_path: ClassVar[str] = "/oauth2/token"
    probe_path: ClassVar[str] = "/me"
    identity_fields: ClassVar[Mapping[str, str]] = {}  # output -> JSON pointer (required)
    optional_identity: ClassVar[Mapping[str, tuple[str, ...]]] = {}  # output -> pointers joined
    login_hint: ClassVar[str] = "run the login again"
    client_hint: ClassVar[str] = ""  # what to check when the client is refused ('': its inputs)
    exchanges_token = True
    validates_in_preview = False
    carried = (
        Carried(
            REFRESH_TOKEN, "The newest refresh token of the chain (used by the next exchange)."
        ),
        Carried(ACCESS_TOKEN, "The current access token (proves the credential until it expires)."),
    )

    def validate(self, spec: Any, session: Session) -> Validation:
        """Prove the seed with nothing stored: an exchange (the provider calls ``renew``, and
        saves a successor whose probe failed; a caller of this cannot, so gets the error)."""
        try:
            return self.renew(spec, session, Carry(may_rotate=True))
        except ExchangedUnproven as unproven:
            raise unproven.cause from None

    def renew(self, spec: Any, session: Session, carry: Carry) -> Validation:
        """Probe with the stored access token while it is valid, else (or when the vendor refuses
        it) exchange, if allowed."""
        origin = self.origin(spec, "api")
        access = carry.stored.get(ACCESS_TOKEN, "")
        fresh = not carry.seed_changed and not carry.client_changed
        if access and fresh and not renewal_due(carry.expires_at):
            try:
                return self._probe_stored(session, origin, access, carry)
            except CredentialRejected as rejected:
                # Refused before its expiry: revoked, or only expired early (the vendor's clock,
                # a reset). The refresh token tells which, when this operation may spend it.
                if not carry.may_rotate:
                    raise self.early_rejection(rejected) from None
        if not carry.may_rotate:
            raise RotationDeferred(deferred_reason(self.title))
        chained = carry.stored.get(REFRESH_TOKEN, "")
        seed = str(getattr(spec, self.seed_field))
        token = seed if carry.seed_changed or not chained else chained
        issued = self.exchange(spec, session, origin, token)
        successor = str(issued.body.get("refresh_token") or token)
        carried = {REFRESH_TOKEN: successor, ACCESS_TOKEN: issued.access_token}
        try:
            reply = flows.get(session, origin + self.probe_path, flows.Bearer(issued.access_token))
            body = self.expect_json(reply, summary="rejected the access token it had just issued")
            identity = self.identity_of(reply, body)
        except VendorCredentialsError as exc:
            # The presented token is spent: its successor must reach state whatever the probe says.
            raise ExchangedUnproven(exc, carried, issued.expires_at) from None
        return Validation(identity, expires_at=issued.expires_at, carried=carried)

    def _probe_stored(self, session: Session, origin: str, access: str, carry: Carry) -> Validation:
        session.redactor.add(access)
        reply = flows.get(session, origin + self.probe_path, flows.Bearer(access))
        body = self.expect_json(reply, summary="rejected the stored access token")
        identity = self.identity_of(reply, body)
        return Validation(identity, expires_at=carry.expires_at, carried=dict(carry.stored))

    def early_rejection(self, exc: VendorError) -> CredentialRejected:
        """The stored access token refused before its expiry, where no exchange may be made: say
        how to renew it, and how to mend the chain if the renewal is refused too."""
        hint = (
            "if it only expired early, `pulumi refresh --skip-preview` or `pulumi up` renews it "
            f"with the refresh token; if that is refused too, {self.login_hint}"
        )
        return self._refused(exc, exc.summary, self.seed_field, hint)

    def exchange(self, spec: Any, session: Session, origin: str, token: str) -> flows.IssuedToken:
        """``grant_type=refresh_token``; every token of the answer registered before any use. An
        answer carrying a successor is never dropped: ``ExchangedUnproven`` saves it, due now."""
        session.redactor.add(token)
        try:
            issued = flows.token_grant(
                self,
                session,
                origin + self.token_path,
                {"grant_type": "refresh_token", "refresh_token": token},
                client_id=str(getattr(spec, self.client_id_field)),
                client_secret=str(getattr(spec, self.client_secret_field)),
                summary="rejected the refresh token",
            )
        except CredentialRejected as exc:
            if exc.code in CLIENT_REFUSED:
                raise self.client_refused(exc) from None
            raise self.broken_chain(exc) from None
        except flows.UnreadableGrant as unreadable:  # the token is spent: keep its successor
            carried = {REFRESH_TOKEN: unreadable.successor, ACCESS_TOKEN: unreadable.access_token}
            cause = unreadable.with_hint(UNREADABLE_HINT)
            raise ExchangedUnproven(cause, carried, expires_at=datetime.now(UTC)) from None
        return issued

    def broken_chain(self, exc: VendorError) -> CredentialRejected:
        """A refused refresh token: revoked, or a successor lost. Only a new login mends it."""
        return self._refused(exc, exc.summary, self.seed_field, self.login_hint)

    def client_refused(self, exc: VendorError) -> CredentialRejected:
        """A refused client id or secret: a new login would not help (the user would loop)."""
        inputs = f"{self.client_id_field} and {self.client_secret_field}"
        hint = self.client_hint or f"check the {inputs} inputs in stack config"
        summary = "rejected the client id or secret"
        return self._refused(exc, summary, self.client_secret_field, hint)

    def _refused(self, exc: VendorError, summary: str, field: str, hint: str) -> CredentialRejected:
        return CredentialRejected(
            vendor=exc.vendor,
            endpoint=exc.endpoint,
            status=exc.status,
            summary=summary,
            code=exc.code,
            detail=exc.detail,
            field=field,
            hint=hint,
            reference=exc.reference,
        )

    def identity_of(self, reply: Reply, body: Mapping[str, Any]) -> dict[str, str]:
        identity = flows.identity_from(self, reply, body, self.identity_fields)
        for name, pointers in self.optional_identity.items():
            parts = (flows.field_text(self, reply, body, p, required=False) for p in pointers)
            identity[name] = " ".join(p for p in parts if p)
        return identity


def carry_from(
    declaration: CredentialKind,
    props: Mapping[str, Any],
    may_rotate: bool,
    seed_changed: bool,
    client_changed: bool = False,
) -> Carry:
    """What stored outputs ``props`` carry for the next proof of a kind."""
    return Carry(
        stored={c.name: str(props.get(c.name) or "") for c in declaration.carried},
        expires_at=parse_iso(props.get("expires_at")),
        may_rotate=may_rotate,
        seed_changed=seed_changed,
        client_changed=client_changed,
    )


def update_carry(
    declaration: RefreshTokenKind, olds: dict[str, Any], spec: Any, *, may_rotate: bool
) -> Carry:
    """An update's carry: a changed seed restarts the chain from it; a changed client id or
    secret must be proved by an exchange before it is stored as valid."""

    def changed(name: str) -> bool:
        return bool(input_value(olds, name) != getattr(spec, name))

    client = (declaration.client_id_field, declaration.client_secret_field)
    return carry_from(
        declaration,
        olds,
        may_rotate,
        seed_changed=changed(declaration.seed_field),
        client_changed=any(changed(name) for name in client),
    )


def renewal_planned(declaration: CredentialKind, olds: Mapping[str, Any]) -> bool:
    """A valid credential carrying an access token that has expired or is about to: ``diff``
    plans an update so that ``pulumi up`` renews it in its apply phase."""
    return (
        bool(declaration.carried)
        and olds.get("status") == "valid"
        and renewal_due(parse_iso(olds.get("expires_at")))
    )
