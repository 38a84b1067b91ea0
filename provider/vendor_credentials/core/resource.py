"""The Pulumi resource side: one base class, one tiny subclass per kind in each vendor module."""

from __future__ import annotations

import pickle
from typing import Any, ClassVar

import pulumi
from pulumi import dynamic

from .fingerprint import CONFIG_KEY, fingerprint, weakness
from .provider import CONFIG_NAMESPACE, OUTPUT_NAMES, CredentialProvider
from .registry import vendor_for

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
        provider = CredentialProvider(self.kind_name, validate_in_check=pulumi.runtime.is_dry_run())
        # The SDK's serialize_provider (3.272) wraps pickle._Pickler._batch_setitems once more on
        # every call and never unwraps it: after ~975 resources in one program, RecursionError.
        pickler = vars(pickle._Pickler)
        saved = {n: pickler[n] for n in ("_batch_setitems", "save_dict") if n in pickler}
        try:
            super().__init__(provider, name, props, opts)
        finally:
            for attr, original in saved.items():
                setattr(pickle._Pickler, attr, original)

    def _fingerprint_input(self, secrets: list[Any]) -> pulumi.Output[str]:
        """A non-secret input derived from the secret: `pulumi preview --diff` then shows
        "~ fingerprint" for a rotation instead of two identical "[secret]"s (dynamic providers
        cannot report which property changed). Keyed HMAC, one-way: see core/fingerprint.py.
        Warns, without quoting it, about a guessable secret whose fingerprint is unkeyed."""
        kind = self.kind_name
        fields = vendor_for(kind).inputs.secret_fields
        key = pulumi.Config(CONFIG_NAMESPACE).get_secret(CONFIG_KEY)

        def compute(values: list[Any]) -> str:
            team_key, texts = values[0] or None, [str(v) for v in values[1:]]
            if team_key is None:
                for field, text in zip(fields, texts, strict=True):
                    reason = weakness(text)
                    if reason:
                        pulumi.log.warn(_guessable_message(kind, field, reason), resource=self)
            return fingerprint(kind, team_key, *texts)

        return pulumi.Output.unsecret(pulumi.Output.all(key, *secrets).apply(compute))


def _guessable_message(kind: str, field: str, reason: str) -> str:
    return (
        f"{kind} {field} looks guessable ({reason}) and its fingerprint in state uses the public "
        "key, so whoever can read the state can test guesses against it: use the long random "
        "secret the vendor issues, or set a team key with `pulumi config set --secret "
        f"{CONFIG_NAMESPACE}:{CONFIG_KEY} <random value>`"
    )
