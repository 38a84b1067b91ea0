"""The Pulumi resource side: one base class, one tiny subclass per kind in each vendor module."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, ClassVar

import pulumi
from pulumi import dynamic

from .fingerprint import fingerprint
from .provider import OUTPUT_NAMES, CredentialProvider
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
            # A non-secret input derived from the secret: `pulumi preview --diff` then shows
            # "~ fingerprint" for a rotation instead of two identical "[secret]"s (dynamic
            # providers cannot report which property changed). One-way: see core/fingerprint.py.
            material = pulumi.Output.all(*(props[name] for name in secret_fields))
            kind = self.kind_name
            props["fingerprint"] = pulumi.Output.unsecret(
                material.apply(
                    lambda values: asyncio.get_running_loop().run_in_executor(
                        None, fingerprint, kind, *(str(v) for v in values)
                    )
                )
            )
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
