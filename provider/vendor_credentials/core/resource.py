"""The Pulumi resource side: one base class; each kind's class is made from its declaration."""

from __future__ import annotations

import functools
import inspect
import pickle
import types
from typing import Any, ClassVar

import pulumi
from pulumi import dynamic
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

from .fingerprint import CONFIG_KEY, fingerprint, weakness
from .kind import CredentialKind
from .provider import CONFIG_NAMESPACE, OUTPUT_NAMES, CredentialProvider
from .trust import warn_if_untrusted

TYPE_MODULE = "vendor-credentials"


class CredentialResource(dynamic.Resource):
    """A vendor credential proved by the vendor; secrets stay encrypted in state."""

    kind_name: ClassVar[str]  # registry kind, e.g. "acme.ApiToken"
    declaration: ClassVar[type[CredentialKind]]

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
        self, name: str, *, opts: pulumi.ResourceOptions | None = None, **inputs: Any
    ) -> None:
        model = self.declaration.inputs
        unknown = sorted(set(inputs) - set(model.model_fields))
        missing = sorted(
            n for n, f in model.model_fields.items() if f.is_required() and n not in inputs
        )
        if unknown or missing:
            problems = [f"unknown input(s) {', '.join(unknown)}"] if unknown else []
            problems += [f"missing input(s) {', '.join(missing)}"] if missing else []
            raise TypeError(f"{type(self).__name__}(): {'; '.join(problems)}")
        secret_fields = list(model.secret_fields)
        props: dict[str, Any] = {}
        for key, info in model.model_fields.items():
            # Unset inputs are sent as before: a non-empty string default as itself, else None.
            default = info.default if isinstance(info.default, str) and info.default else None
            value = inputs.get(key, default)
            # A secret passed as a plain string would be stored in plain text among the inputs.
            props[key] = pulumi.Output.secret(value) if key in secret_fields else value
        if secret_fields:
            props["fingerprint"] = self._fingerprint_input([props[n] for n in secret_fields])
        for key in OUTPUT_NAMES:
            props.setdefault(key, None)
        # The secret inputs, and the secret outputs the kind carries (a rotating refresh token).
        hidden = [*secret_fields, *(c.name for c in self.declaration.carried if c.secret)]
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=hidden)
        )
        # What dynamic.Resource.__init__ does, without pickling the same provider again for every
        # resource: the pickle depends only on the kind and the phase.
        props[PROVIDER_KEY] = serialized_provider(self.kind_name, pulumi.runtime.is_dry_run())
        pulumi.CustomResource.__init__(
            self, f"pulumi-python:{self._resource_type_name}", name, props, opts
        )
        if pulumi.runtime.is_dry_run():
            urls = {f: inputs.get(f) for f in self.declaration.url_fields}
            warn_if_untrusted(self, urls)

    def _fingerprint_input(self, secrets: list[Any]) -> pulumi.Output[str]:
        """A non-secret input derived from the secret: `pulumi preview --diff` then shows
        "~ fingerprint" for a rotation instead of two identical "[secret]"s (dynamic providers
        cannot report which property changed). Keyed HMAC, one-way: see core/fingerprint.py.
        Warns, without quoting it, about a guessable secret whose fingerprint is unkeyed."""
        kind = self.kind_name
        fields = self.declaration.inputs.secret_fields
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
def serialized_provider(kind: str, program_is_preview: bool) -> str:
    """``__provider`` of a kind (the SDK's own serializer), once per process and phase.

    A preview's provider validates in ``check``; an update's (``program_is_preview=False``) leaves
    that to create/update, which the engine runs in parallel."""
    provider = CredentialProvider(kind, program_is_preview=program_is_preview)
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


def credential_resource(declaration: type[CredentialKind]) -> type[CredentialResource]:
    """The resource class of a kind, named after its kind string (``acme.ApiToken`` ->
    ``ApiToken``), typed ``vendor-credentials:<type_name>``, documented by its declaration."""
    name = declaration.kind.partition(".")[2]
    namespace = {
        "kind_name": declaration.kind,
        "declaration": declaration,
        "__doc__": inspect.cleandoc(declaration.documentation),
        "__module__": declaration.__module__,
        "__qualname__": name,
    }
    cls = types.new_class(
        name,
        (CredentialResource,),
        {"module": TYPE_MODULE, "name": declaration.type_name},
        lambda body: body.update(namespace),
    )
    params = [inspect.Parameter("resource_name", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    fields = declaration.inputs.model_fields
    common = ("description", "base_url")  # every kind's: listed after the kind's own inputs
    for field in sorted(fields, key=lambda n: (not fields[n].is_required(), n in common)):
        info = fields[field]
        default = inspect.Parameter.empty if info.is_required() else info.default
        params.append(inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY, default=default))
    params.append(inspect.Parameter("opts", inspect.Parameter.KEYWORD_ONLY, default=None))
    cls.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return cls
