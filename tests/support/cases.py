"""Every credential kind as the tests see it, discovered from the kinds' own declarations.

A kind's first sample (``CredentialKind.samples``) is the credential the emulator seeds for it;
the lifecycle matrix, leak suite, preview tests and the upgrade fixture build their stacks from
these cases, so a new kind is tested by declaring its samples, with no table here to extend.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from vendor_credentials.core.inputs import input_failures
from vendor_credentials.core.kind import CredentialKind, Sample
from vendor_credentials.core.provider import OUTPUT_NAMES
from vendor_credentials.core.registry import all_kinds

# Values tried, in order, to make each non-secret input fail check (the first that does is used).
BAD_VALUES = ("http://vendor.example.com/api", "mars", "evil.example/x#")


def with_base_url(value: Any, base_url: str) -> Any:
    """A sample value with ``{base_url}`` filled in (strings, lists and dicts of strings)."""
    if isinstance(value, str):
        return value.replace("{base_url}", base_url)
    if isinstance(value, list):
        return [with_base_url(v, base_url) for v in value]
    if isinstance(value, dict):
        return {k: with_base_url(v, base_url) for k, v in value.items()}
    return value


def _first_word(kind: str) -> str:
    """``helpscout.MailboxCredential`` -> ``helpscout-mailbox``."""
    vendor, _, name = kind.partition(".")
    first = next((i for i, c in enumerate(name) if i and c.isupper()), len(name))
    return f"{vendor}-{name[:first].lower()}"


@dataclass(frozen=True)
class KindCase:
    """One kind and the sample the tests drive it with."""

    declaration: CredentialKind
    sample: Sample

    @property
    def kind(self) -> str:
        return self.declaration.kind

    @property
    def id(self) -> str:
        """The vendor, plus the kind's first word when the vendor has several kinds
        (``helpscout-mailbox``): the resource names stored in the state fixtures. Kinds of one
        vendor sharing a first word use their sample's name (``helpscout-authorization``)."""
        vendor = self.kind.partition(".")[0]
        if sum(1 for d in all_kinds() if d.vendor == vendor) == 1:
            return vendor
        word = _first_word(self.kind)
        if sum(1 for d in all_kinds() if _first_word(d.kind) == word) > 1:
            return self.sample.name.replace("_", "-")
        return word

    def __str__(self) -> str:
        return self.id

    @property
    def secret_input(self) -> str:
        return self.declaration.inputs.secret_fields[0]

    @property
    def secret(self) -> str:
        return str(self.sample.inputs[self.secret_input])

    @property
    def emulator_key(self) -> str:
        """The emulator's label for the sample (its revoke/rotate take it)."""
        return self.sample.name

    @property
    def routed_by_base_url(self) -> bool:
        """Kinds with declared hosts reach the emulator through ``base_url``."""
        return bool(self.declaration.hosts)

    def inputs(self, base_url: str) -> dict[str, Any]:
        """The sample's valid inputs pointed at an emulator."""
        found = {k: with_base_url(v, base_url) for k, v in self.sample.inputs.items()}
        if self.routed_by_base_url:
            found["base_url"] = base_url
        return found

    def plain_inputs(self, base_url: str) -> dict[str, Any]:
        """The inputs besides ``secret_input``, pointed at an emulator (see ``plain``)."""
        return {k: v for k, v in self.inputs(base_url).items() if k != self.secret_input}

    @property
    def plain(self) -> dict[str, Any]:
        """The sample's inputs besides ``secret_input`` as declared (no ``base_url``). A kind
        with several secrets (a refresh token and its app's secret) gets the others here, as
        plain test config: the resource still wraps and stores them as secrets."""
        return {k: v for k, v in self.sample.inputs.items() if k != self.secret_input}

    def replacement(self, base_url: str) -> tuple[str, Any] | None:
        """An input change naming another credential (None when only the secret names it)."""
        for name, value in self.sample.replace.items():
            return name, with_base_url(value, base_url)
        return None

    @property
    def replace(self) -> tuple[str, Any] | None:
        """``replacement`` as declared (no emulator URL filled in)."""
        return next(iter(self.sample.replace.items()), None)

    @property
    def identity_keys(self) -> tuple[str, ...]:
        """The identity outputs the sample's proof must report."""
        return tuple(self.sample.identity)

    def bad_inputs(self, base_url: str) -> dict[str, str]:
        """For each non-secret input that some ``BAD_VALUES`` entry breaks: that entry."""
        good = self.inputs(base_url)
        bad: dict[str, str] = {}
        for name in self.declaration.inputs.model_fields:
            if name in self.declaration.inputs.secret_fields or name == "description":
                continue
            for value in BAD_VALUES:
                failures = input_failures(self.declaration.inputs, {**good, name: value})
                if [field for field, _ in failures] == [name]:
                    bad[name] = value
                    break
        return bad

    def build(self, name: str, args: Mapping[str, Any]) -> pulumi.CustomResource:
        module = importlib.import_module(f"vendor_credentials.{self.declaration.vendor}")
        resource_class = getattr(module, self.kind.partition(".")[2])
        resource: pulumi.CustomResource = resource_class(name, **args)
        return resource

    def program(self, resource_name: str = "cred") -> Callable[[], None]:
        """An inline program declaring this credential from stack config (``inputs`` as JSON,
        the secret as a secret), exporting its outputs."""

        def program() -> None:
            cfg = pulumi.Config()
            given = cfg.get_object("inputs")
            if given is not None:
                args: dict[str, Any] = dict(given)
            else:  # one config key per input, as older tests set them
                args = {name: cfg.require(name) for name in self.plain}
                args["base_url"] = cfg.require("base_url")
                if cfg.get("description"):
                    args["description"] = cfg.get("description")
            args[self.secret_input] = cfg.require_secret(self.secret_input)
            resource = self.build(resource_name, args)
            for output in OUTPUT_NAMES:
                pulumi.export(output, getattr(resource, output))

        return program

    def config(self, emulator_url: str, **overrides: Any) -> dict[str, str]:
        """Plain stack config for ``program``: the inputs as one JSON value."""
        return {"inputs": json.dumps({**self.plain_inputs(emulator_url), **overrides})}


VendorCase = KindCase  # the name other test modules know it by

CASES: tuple[KindCase, ...] = tuple(
    KindCase(declaration, declaration.samples[0]) for declaration in all_kinds()
)
ALL_SAMPLES: tuple[KindCase, ...] = tuple(
    KindCase(declaration, sample) for declaration in all_kinds() for sample in declaration.samples
)


def case_for(kind: str) -> KindCase:
    return next(case for case in CASES if case.kind == kind)
