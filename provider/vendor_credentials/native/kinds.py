"""What the native provider knows about each credential kind, read from the kinds' declarations.

This is the one adapter between the registry and the plugin: the schema, the type tokens, the
camelCase wire names and the secret/replace flags all come from here, so a kind added to the
registry appears in the plugin and its schema with no edit in this package.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache

from ..core.inputs import CredentialInputs
from ..core.kind import Carried
from ..core.provider import OUTPUT_NAMES, REQUESTED_PREFIX
from ..core.registry import all_kinds, kind_for

PACKAGE = "vendor-credentials"


def camel(name: str) -> str:
    """``base_url`` -> ``baseUrl``: the schema's and the wire's spelling of a Python field."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class KindInfo:
    """One credential kind as the plugin sees it."""

    kind: str  # registry kind, e.g. "acme.ApiToken" (stored in state, never renamed)
    vendor: str  # "acme"
    title: str  # "Acme API token"
    doc: str  # the kind's documentation (its resource class docstring)
    inputs: type[CredentialInputs]
    carried: tuple[Carried, ...] = ()  # outputs carried between operations (secret ones hidden)

    @property
    def token(self) -> str:
        """``vendor-credentials:acme:ApiToken``."""
        return f"{PACKAGE}:{self.vendor}:{self.kind.split('.', 1)[1]}"

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.inputs.model_fields)

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(self.inputs.secret_fields)

    @property
    def carried_secrets(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.carried if c.secret)

    @property
    def replace_fields(self) -> tuple[str, ...]:
        return tuple(self.inputs.replace_fields)

    @property
    def output_names(self) -> tuple[str, ...]:
        """Stored outputs (snake_case): the inputs (colliding ones prefixed) and the results."""
        stored = tuple(
            REQUESTED_PREFIX + name if name in OUTPUT_NAMES else name for name in self.input_names
        )
        return stored + OUTPUT_NAMES + tuple(c.name for c in self.carried)

    def snake_names(self) -> dict[str, str]:
        """camelCase wire name -> snake_case field or output name."""
        return {camel(name): name for name in (*self.input_names, *self.output_names)}


def _info(kind: str) -> KindInfo:
    declaration = kind_for(kind)
    return KindInfo(
        kind=kind,
        vendor=declaration.vendor,
        title=declaration.title,
        doc=inspect.cleandoc(declaration.documentation) or declaration.title,
        inputs=declaration.inputs,
        carried=tuple(declaration.carried),
    )


@cache
def native_kinds() -> tuple[KindInfo, ...]:
    """Every registered kind, sorted by type token (the schema's order)."""
    return tuple(sorted((_info(d.kind) for d in all_kinds()), key=lambda info: info.token))


def kind_for_token(token: str) -> KindInfo:
    """The kind a resource type token names; a clear error for a token this version lacks."""
    for info in native_kinds():
        if info.token == token:
            return info
    raise KeyError(
        f"unknown resource type '{token}': this plugin knows "
        + ", ".join(info.token for info in native_kinds())
    )
