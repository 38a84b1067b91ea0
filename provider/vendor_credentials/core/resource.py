"""The Pulumi resource side: one base class, one tiny subclass per kind in each vendor module."""

from __future__ import annotations

import functools
import pickle
from typing import Any, ClassVar

import pulumi
from pulumi import dynamic
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

from .fingerprint import CONFIG_KEY, fingerprint, weakness
from .provider import CONFIG_NAMESPACE, OUTPUT_NAMES, CredentialProvider
from .registry import vendor_for
from .trust import warn_if_untrusted

TYPE_MODULE = "vendor-credentials"


class CredentialResource(dynamic.Resource):
    """A vendor credential proved by the vendor; secrets stay encrypted in state."""

    kind_name: ClassVar[str]  # registry kind, e.g. "intercom.AccessToken"

    vendor: pulumi.Output[str]
    kind: pulumi.Output[str]
    status: pulumi.Output[str]
    status_reason: pulumi.Output[str]
    identity: pulumi.Output[dict[str, str]]
    fingerprint: pulumi.Output[str]
    validated_at: pulumi.Output[str]
    expires_at: pulumi.Output[str]
    scopes: pulumi.Output[list[str]]
    last_valid_at: pulumi.Output[str]
    description: pulumi.Output[str]
    base_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        inputs: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret_fields = list(vendor_for(self.kind_name).inputs.secret_fields)
        props: dict[str, Any] = {}
        for key, value in inputs.items():
            # A secret passed as a plain string would be stored in plain text among the inputs.
            props[key] = pulumi.Output.secret(value) if key in secret_fields else value
        if secret_fields:
            props["fingerprint"] = self._fingerprint_input([props[n] for n in secret_fields])
        for key in OUTPUT_NAMES:
            props.setdefault(key, None)
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=secret_fields)
        )
        # What dynamic.Resource.__init__ does, without pickling the same provider again for every
        # resource: the pickle depends only on the kind and the phase.
        props[PROVIDER_KEY] = serialized_provider(self.kind_name, pulumi.runtime.is_dry_run())
        pulumi.CustomResource.__init__(
            self, f"pulumi-python:{self._resource_type_name}", name, props, opts
        )
        if pulumi.runtime.is_dry_run():
            warn_if_untrusted(self, inputs.get("base_url"))

    def _fingerprint_input(self, secrets: list[Any]) -> pulumi.Output[str]:
        """A non-secret input derived from the secret: `pulumi preview --diff` then shows
        "~ fingerprint" for a rotation instead of two identical "[secret]"s (dynamic providers
        cannot report which property changed). Keyed HMAC, one-way: see core/fingerprint.py.
        Warns, without quoting it, about a guessable secret whose fingerprint is unkeyed."""
        kind = self.kind_name
        fields = vendor_for(kind).inputs.secret_fields
        # The key as a plain string, not an Output (one fewer per resource): it only ever enters
        # the HMAC below, and the result is the only thing that leaves this closure.
        key = pulumi.Config(CONFIG_NAMESPACE).get(CONFIG_KEY) or None

        def compute(values: Any) -> str:
            texts = [str(v) for v in (values if len(secrets) > 1 else [values])]
            if key is None:
                for field, text in zip(fields, texts, strict=True):
                    reason = weakness(text)
                    if reason:
                        pulumi.log.warn(_guessable_message(kind, field, reason), resource=self)
            return fingerprint(kind, key, *texts)

        material = pulumi.Output.all(*secrets) if len(secrets) > 1 else secrets[0]
        return pulumi.Output.unsecret(material.apply(compute))


@functools.lru_cache(maxsize=64)
def serialized_provider(kind: str, validate_in_check: bool) -> str:
    """``__provider`` of a kind (the SDK's own serializer), once per process and phase.

    A preview's provider validates in ``check``; an update's (``validate_in_check=False``) leaves
    that to create/update, which the engine runs in parallel."""
    provider = CredentialProvider(kind, validate_in_check=validate_in_check)
    # The SDK's serialize_provider (3.272) wraps pickle._Pickler._batch_setitems once more on
    # every call and never unwraps it: after ~975 calls in one process, RecursionError.
    pickler = vars(pickle._Pickler)
    saved = {n: pickler[n] for n in ("_batch_setitems", "save_dict") if n in pickler}
    try:
        return str(serialize_provider(provider))
    finally:
        for attr, original in saved.items():
            setattr(pickle._Pickler, attr, original)


def _guessable_message(kind: str, field: str, reason: str) -> str:
    return (
        f"{kind} {field} looks guessable ({reason}) and its fingerprint in state uses the public "
        "key, so whoever can read the state can test guesses against it: use the long random "
        "secret the vendor issues, or set a team key with `pulumi config set --secret "
        f"{CONFIG_NAMESPACE}:{CONFIG_KEY} <random value>`"
    )
