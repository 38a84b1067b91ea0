"""The dynamic provider: one small class for every kind, pickled by reference.

``__provider`` holds only ``CredentialProvider`` (an importable class) and its ``kind`` string, so
state carries no secret, client, lock or vendor answer, and vendor modules can change freely.
Settings from stack config arrive through ``configure`` in the plugin process and are never
pickled. New attributes must get class-level defaults so old pickles keep loading.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import uuid
from typing import Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import oneline
from .carry import (
    Carry,
    ExchangedUnproven,
    RefreshTokenKind,
    RotationDeferred,
    carry_from,
    renewal_planned,
    update_carry,
)
from .errors import CredentialRejected, InputError, VendorCredentialsError, sentence
from .fingerprint import CONFIG_KEY, fingerprint, is_current
from .http import HttpSettings, Session
from .inputs import UNKNOWN, CredentialInputs, input_failures, spec_of
from .kind import CredentialKind, Validation, iso
from .plugin_exit import freeze_heap_at_exit
from .recent import RECENT
from .redact import Redactor
from .registry import kind_for
from .rotation import rotation_saved
from .settings import CONFIG_NAMESPACE, ProviderError, preview_validation_enabled, settings_from
from .stored import (
    OUTPUT_NAMES,
    REQUESTED_PREFIX,
    VOLATILE_OUTPUTS,
    input_value,
    keep_last_known,
)
from .trust import CONFIG_KEY as TRUSTED_ORIGINS
from .trust import parse_trusted_origins, preview_may_send, skipped_message

log = logging.getLogger("vendor_credentials")
_settings_from = settings_from  # its name in earlier versions (tests, native/config.py)
__all__ = [
    "CONFIG_NAMESPACE",
    "OUTPUT_NAMES",
    "REQUESTED_PREFIX",
    "CredentialProvider",
    "ProviderError",
    "input_value",
]


class CredentialProvider(ResourceProvider):
    """Check, diff, create, read, update and delete for any credential kind."""

    serialize_as_secret_always = False  # the pickle holds no secret: keep it readable in state

    kind: str = ""
    # False when the program building this provider runs an update (not a preview): check then
    # leaves the vendor to create/update, which the engine runs in parallel (it calls check for
    # one resource at a time). Set on the instance only when False, so preview pickles and the
    # pickles already in state are unchanged.
    program_is_preview: bool = True
    settings: ClassVar[HttpSettings] = HttpSettings()
    # Stack config ``vendor-credentials:validateOnPreview``: whether previews ask the vendor.
    preview_validation_enabled: ClassVar[bool] = True
    trusted_origins: ClassVar[frozenset[str]] = frozenset()  # a preview may send secrets there
    fingerprint_key: ClassVar[str | None] = None  # from stack config, in the plugin only
    # A preview that skips an untrusted origin: the dynamic face's program already warns on the
    # resource (core/trust.py), so its plugin only notes it (a warning on the plugin's stderr
    # would be shown again, on the stack); the native plugin has no program, so it warns.
    untrusted_skip_level: ClassVar[int] = logging.INFO

    def __init__(self, kind: str, *, program_is_preview: bool = True) -> None:
        super().__init__()
        self.kind = kind
        if not program_is_preview:
            self.program_is_preview = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if "validate_in_check" in state:  # the attribute's name in 0.1 pickles
            state["program_is_preview"] = state.pop("validate_in_check")
        self.__dict__.update(state)

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def declaration(self) -> CredentialKind:
        """What this provider's kind declares (imports its vendor module on first use)."""
        return kind_for(self.kind)

    def configure(self, req: ConfigureRequest) -> None:
        # Only the plugin process calls configure: show users messages, not Python tracebacks.
        sys.tracebacklimit = 0
        oneline.install(ProviderError)
        freeze_heap_at_exit()  # the engine waits for the plugin to exit after every operation
        level = os.environ.get("VENDOR_CREDENTIALS_LOG_LEVEL")
        # stderr reaches the engine's log (-v=9 --logtostderr). Other handlers may be there (the
        # native plugin forwards warnings to the engine): look for ours.
        if level and not any(type(h) is logging.StreamHandler for h in log.handlers):
            # Our logger only: httpx/httpcore debug lines would print vendor headers unredacted.
            log.addHandler(logging.StreamHandler(sys.stderr))
            log.setLevel(level.upper())
        type(self).settings = settings_from(req)
        type(self).preview_validation_enabled = preview_validation_enabled(req)
        try:
            type(self).trusted_origins = parse_trusted_origins(req.config.get(TRUSTED_ORIGINS))
        except ValueError as exc:
            raise ProviderError(f"stack config {exc}") from None
        type(self).fingerprint_key = req.config.get(f"{CONFIG_NAMESPACE}:{CONFIG_KEY}") or None

    def _input_names(self) -> list[str]:
        return list(self.declaration.inputs.model_fields)

    def inputs_of(self, props: dict[str, Any]) -> dict[str, Any]:
        """Input values from inputs, or from stored outputs (where colliding names are prefixed)."""
        found: dict[str, Any] = {}
        fields = self.declaration.inputs.model_fields
        for name in self._input_names():
            value = input_value(props, name)
            # Stored outputs hold "" for an optional input that was not set (e.g. base_url).
            if value is None or (value == "" and fields[name].default is None):
                continue
            found[name] = value
        return found

    def _spec(self, props: dict[str, Any]) -> CredentialInputs:
        spec: CredentialInputs = spec_of(self.declaration.inputs, self.inputs_of(props))
        return spec

    def _redactor(self, props: dict[str, Any]) -> Redactor:
        names = (*self.declaration.inputs.secret_fields, *self.declaration.carried_secrets)
        return Redactor(str(props[n]) for n in names if isinstance(props.get(n), str))

    def carry_for(
        self, props: dict[str, Any], *, may_rotate: bool, seed_changed: bool = False
    ) -> Carry:
        """What stored outputs ``props`` carry for the next proof (see ``core/carry.py``)."""
        return carry_from(self.declaration, props, may_rotate, seed_changed)

    def renewal_due(self, olds: dict[str, Any]) -> bool:
        """``diff`` plans an update so that ``pulumi up`` renews an expiring access token."""
        return renewal_planned(self.declaration, olds)

    def prove(
        self, spec: CredentialInputs, redactor: Redactor, carry: Carry | None = None
    ) -> Validation:
        """Exchange or probe with the vendor (the audit's --live check calls this too).

        ``carry``: for kinds that carry outputs, what state holds and whether this operation may
        rotate (never, when not given)."""
        vendor = self.declaration
        for secret in spec.secrets():
            redactor.add(secret)
        for value in carry.stored.values() if carry else ():
            redactor.add(value)
        session = Session(
            vendor=vendor.vendor,
            retry_after=vendor.retry_after,
            redactor=redactor,
            settings=self.settings,
        )
        log.debug("validating %s against %s", vendor.kind, vendor.vendor)
        if isinstance(vendor, RefreshTokenKind):  # its grant registers every token it issues
            validation = vendor.renew(spec, session, carry or Carry())
        else:
            validation = vendor.validate(spec, session)
        for value in validation.carried.values():
            redactor.add(value)
        # Identity is vendor text stored in plain state: an echoed token must not ride along.
        identity = {key: redactor(str(value)) for key, value in validation.identity.items()}
        return dataclasses.replace(validation, identity=identity)

    def _outputs(
        self,
        spec: CredentialInputs,
        *,
        validation: Validation | None,
        reason: str = "",
        known_fingerprint: Any = None,
        carried: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        vendor = self.declaration
        outs: dict[str, Any] = {}
        for name, value in spec.model_dump(mode="json", exclude_none=True).items():
            outs[REQUESTED_PREFIX + name if name in OUTPUT_NAMES else name] = value
        outs.setdefault("base_url", "")
        outs.update(
            vendor=vendor.vendor,
            kind=vendor.kind,
            status="valid" if validation is not None else "invalid",
            status_reason=reason,
            fingerprint=self._fingerprint(spec, known_fingerprint),
            identity=dict(sorted(validation.identity.items())) if validation else {},
            scopes=sorted(validation.scopes) if validation else [],
            validated_at=iso(validation.validated_at) if validation else "",
            expires_at=iso(validation.expires_at) if validation else "",
            last_valid_at=iso(validation.validated_at) if validation else "",
        )
        kept = dict(validation.carried) if validation else dict(carried or {})
        for item in vendor.carried:  # an invalid credential keeps what it carried
            outs[item.name] = kept.get(item.name, "")
        return outs

    def _unproven_outputs(
        self,
        spec: CredentialInputs,
        unproven: ExchangedUnproven,
        redactor: Redactor,
        props: dict[str, Any],
        known_fingerprint: Any = None,
    ) -> dict[str, Any]:
        """Outputs after an exchange whose probe failed: the successor is saved. The exchange
        itself proved the app and the refresh token, so the credential stays valid (identity as
        last known) unless the vendor rejected the new access token."""
        rejected = isinstance(unproven.cause, CredentialRejected)
        stored = props.get("identity")
        identity: dict[str, str] = dict(stored) if isinstance(stored, dict) else {}
        validation = Validation(
            identity=identity, expires_at=unproven.expires_at, carried=unproven.carried
        )
        reason = redactor(
            "the refresh token was exchanged and its successor saved, but proving the identity "
            f"failed: {unproven.cause}"
        )
        outs = self._outputs(
            spec,
            validation=None if rejected else validation,
            reason=reason,
            known_fingerprint=known_fingerprint,
            carried=unproven.carried,
        )
        if rejected:
            keep_last_known(outs, props)
            outs["expires_at"] = iso(unproven.expires_at)
        return outs

    def _fail(self, exc: BaseException, redact: Redactor, operation: str) -> ProviderError:
        """The operation's error, redacted by the operation's own redactor: it knows the input
        secrets and every token the vendor issued during the operation."""
        if isinstance(exc, VendorCredentialsError):
            text = str(exc)
        else:  # a bug of ours: say where, never echo arbitrary text unredacted
            text = f"internal error during {operation} ({type(exc).__name__}: {exc})"
        return ProviderError(f"{self.kind}: {operation} failed: {redact(text)}")

    # -- lifecycle -----------------------------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        model = self.declaration.inputs
        data = self.inputs_of(news)
        failures = input_failures(model, data)
        if failures:
            return CheckResult(news, [CheckFailure(f, r) for f, r in failures])
        if any(v == UNKNOWN for v in data.values()):
            return CheckResult(news, [])
        spec = model.model_validate(data)
        inputs = dict(news)
        inputs.update(spec.model_dump(mode="json", exclude_none=True))
        if (
            self.preview_validation_enabled
            and self.program_is_preview
            and self.declaration.validates_in_preview
            and self.inputs_of(olds) != self.inputs_of(inputs)
        ):
            failure = self._check_with_vendor(spec, news)
            if failure is not None:
                return CheckResult(inputs, [failure])
        return CheckResult(inputs, [])

    def _check_with_vendor(
        self, spec: CredentialInputs, news: dict[str, Any]
    ) -> CheckFailure | None:
        """Validate a new or changed credential during preview (``check`` is the only hook a
        preview runs). A rejection fails the preview with the vendor's reason; a transient error
        does not (the vendor may be down, not the secret wrong): create or update will try again.
        """
        if RECENT.get(self.kind, spec) is not None:
            return None  # the engine checks a resource more than once per phase
        chosen = self.declaration.chosen_origins(spec)
        if not preview_may_send(chosen, self.trusted_origins):
            # A pull request may have pointed base_url anywhere: `up`, after review, proves it.
            skipped = skipped_message(min(chosen - self.trusted_origins))
            log.log(self.untrusted_skip_level, "%s: %s", self.kind, skipped)
            return None
        redactor = self._redactor(news)
        try:
            validation = self.prove(spec, redactor)
        except CredentialRejected as rejected:
            field = rejected.field or (spec.secret_fields[0] if spec.secret_fields else "")
            return CheckFailure(field, redactor(f"{field}: {rejected}"))
        except VendorCredentialsError as exc:
            log.debug("preview validation skipped: %s", redactor(str(exc)))
            return None
        RECENT.put(self.kind, spec, validation)
        return None

    def changed_inputs(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        """Inputs whose value differs between stored outputs ``olds`` and new inputs ``news``
        (the native plugin reports each one in its detailed diff)."""
        changed: list[str] = []
        for name, info in self.declaration.inputs.model_fields.items():
            default = info.default if info.default is not None else ""
            old = input_value(olds, name)
            new = news.get(name)
            old = default if old in (None, "") else old
            new = default if new in (None, "") else new
            if new == UNKNOWN or old != new:
                changed.append(name)
        return changed

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = self.changed_inputs(olds, news)
        replaces = [name for name in changed if name in self.declaration.inputs.replace_fields]
        # A credential last seen invalid (refresh after revocation) is validated again on the next
        # up, even with the same inputs: the update fails clearly while it is still revoked.
        revalidate = olds.get("status") == "invalid"
        relabel = self.relabel_due(olds, news)
        return DiffResult(
            changes=bool(changed) or revalidate or relabel or self.renewal_due(olds),
            replaces=replaces,
            delete_before_replace=False,
        )

    def relabel_due(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """A new fingerprint for the same secret: another scheme or key (fp1 state, a new
        fingerprintKey). Shown once as "~ fingerprint"; update then calls no vendor. The dynamic
        face's program sends it as an input; the native face has none, so it is worked out here
        from the new secrets and the key this plugin was configured with."""
        new = news.get("fingerprint")
        if new is None:
            try:
                spec = self._spec(news)
            except (ValueError, InputError):
                return False  # check reports it; a computed (unknown) secret waits for up
            new = self._fingerprint(spec)
        return is_current(new) and new != olds.get("fingerprint")

    def _fingerprint(self, spec: CredentialInputs, known: Any = None) -> str:
        """The program's fingerprint when it is of the current scheme, else this plugin's own
        (the key from its stack config)."""
        if is_current(known):
            return str(known)
        return fingerprint(self.kind, self.fingerprint_key, *spec.secrets())

    def create(self, props: dict[str, Any]) -> CreateResult:
        redactor = self._redactor(props)
        try:
            spec = self._spec(props)
            carry = Carry(may_rotate=rotation_saved("create")) if self.declaration.carried else None
            validation = self.prove(spec, redactor, carry)
            outs = self._outputs(
                spec, validation=validation, known_fingerprint=props.get("fingerprint")
            )
            return CreateResult(f"{self.kind}-{uuid.uuid4().hex}", outs)
        except ExchangedUnproven as unproven:
            if isinstance(unproven.cause, CredentialRejected):  # nothing usable to store
                raise self._fail(unproven.cause, redactor, "create") from None
            outs = self._unproven_outputs(
                spec, unproven, redactor, {}, known_fingerprint=props.get("fingerprint")
            )
            return CreateResult(f"{self.kind}-{uuid.uuid4().hex}", outs)
        except Exception as exc:
            raise self._fail(exc, redactor, "create") from None

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        redactor = self._redactor(news)
        try:
            spec = self._spec(news)
            same = self._same_inputs(olds, spec)
            if olds.get("status") == "valid" and same and not self.renewal_due(olds):
                return UpdateResult(self._relabelled(olds, spec, news.get("fingerprint")))
            carry = None
            if isinstance(self.declaration, RefreshTokenKind):
                rotates = rotation_saved("update")
                carry = update_carry(self.declaration, olds, spec, may_rotate=rotates)
            validation = self.prove(spec, redactor, carry)
            return UpdateResult(
                self._outputs(
                    spec, validation=validation, known_fingerprint=news.get("fingerprint")
                )
            )
        except ExchangedUnproven as unproven:  # the old token is spent: keep its successor
            outs = self._unproven_outputs(
                spec, unproven, redactor, olds, known_fingerprint=news.get("fingerprint")
            )
            return UpdateResult(outs)
        except Exception as exc:
            raise self._fail(exc, redactor, "update") from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        redactor = self._redactor(props)
        try:
            spec = self._spec(props)
            carry = None
            if self.declaration.carried:
                carry = self.carry_for(props, may_rotate=rotation_saved("read"))
            try:
                validation: Validation | None = self.prove(spec, redactor, carry)
                reason = ""
            except CredentialRejected as rejected:
                reason = rejected.reason
                if self.declaration.carried and rejected.hint:  # how to mend a broken chain
                    reason = f"{reason}. {sentence(rejected.hint)}"
                validation, reason = None, redactor(reason)
            except ExchangedUnproven as unproven:  # the token is spent: keep its successor
                return ReadResult(id_, self._unproven_outputs(spec, unproven, redactor, props))
            except RotationDeferred as deferred:
                # Not saved without a preview phase: keep everything, say how to renew it.
                kept = {k: v for k, v in props.items() if k != "__provider"}
                return ReadResult(id_, {**kept, "status_reason": str(deferred)})
            outs = self._outputs(
                spec,
                validation=validation,
                reason=reason,
                carried=dict(carry.stored) if carry else None,
            )
        except Exception as exc:
            # Transient or unreadable answers fail the refresh for this resource and leave its
            # state exactly as it was: never dropped, never marked invalid.
            raise self._fail(exc, redactor, "refresh") from None
        if outs["status"] == "invalid":
            keep_last_known(outs, props)
            if carry is not None:  # the carried access token's expiry: the next refresh asks alike
                outs["expires_at"] = props.get("expires_at") or ""
        material = {k: v for k, v in outs.items() if k not in VOLATILE_OUTPUTS}
        if all(props.get(k) == v for k, v in material.items()):
            for name in VOLATILE_OUTPUTS:
                if name in props:
                    outs[name] = props[name]
            if outs["status"] == "valid":  # state from before last_valid_at existed
                outs["last_valid_at"] = outs["validated_at"]
        return ReadResult(id_, outs)

    def _same_inputs(self, olds: dict[str, Any], spec: CredentialInputs) -> bool:
        try:
            return bool(self._spec(olds) == spec)
        except (ValueError, InputError):  # stored inputs this version no longer accepts
            return False

    def _relabelled(
        self, olds: dict[str, Any], spec: CredentialInputs, known_fingerprint: Any
    ) -> dict[str, Any]:
        """The stored outputs with only the fingerprint replaced (same secret, new scheme or
        key): no vendor call, the stored validation stands."""
        outs = {k: v for k, v in olds.items() if k != "__provider"}
        outs["fingerprint"] = self._fingerprint(spec, known_fingerprint)
        return outs

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete at the vendor: the credential only leaves our state."""
