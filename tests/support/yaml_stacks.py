"""Stacks of the Pulumi YAML example (``examples/yaml``), run through the real CLI.

The program is the committed ``Pulumi.yaml`` copied into a fresh directory; the CLI finds
``pulumi-language-yaml`` and ``pulumi-resource-vendor-credentials`` on PATH (``.tools/pulumi/bin``,
put there by ``scripts/ensure-engine.sh``), with no ``pulumi plugin install``.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from support.cases import CASES, VendorCase
from support.stacks import EngineStack
from vendor_credentials.engine import ROOT, pulumi_command
from vendor_credentials.native.example import config_key, declared_fields, resource_name
from vendor_credentials.native.kinds import KindInfo, camel, native_kinds

EXAMPLE = ROOT / "examples" / "yaml" / "Pulumi.yaml"


class YamlStack(EngineStack):
    """One stack of the YAML example in its own directory."""

    def __init__(self, name: str, env: Mapping[str, str], work_dir: Path) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLE, work_dir / "Pulumi.yaml")
        self.name = name
        self.env = dict(env)
        opts = auto.LocalWorkspaceOptions(
            pulumi_home=self.env["PULUMI_HOME"],
            env_vars=self.env,
            secrets_provider="passphrase",
            pulumi_command=pulumi_command(),
        )
        self.stack = auto.create_or_select_stack(name, work_dir=str(work_dir), opts=opts)
        self.transcript = []


def case_of(info: KindInfo) -> VendorCase:
    """The emulator's seeded sample of a kind."""
    return next(case for case in CASES if case.kind == info.kind)


def secret_key(info: KindInfo) -> str:
    """The config key holding the kind's (first) secret."""
    return config_key(info, case_of(info).secret_input)


def sample_config(
    info: KindInfo, emulator_url: str, secret: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """(plain, secret) stack config for one kind, from the emulator's seed (URLs in the sample
    pointed at the emulator; map and list inputs are written into the example itself)."""
    case = case_of(info)
    hidden = set(info.secret_fields)  # a kind's other secrets are secret config too
    inputs = {
        name: value
        for name, value in case.plain_inputs(emulator_url).items()
        if name in declared_fields(info)
    }
    plain = {config_key(info, k): v for k, v in inputs.items() if k not in hidden}
    secrets = {config_key(info, k): v for k, v in inputs.items() if k in hidden}
    return plain, {**secrets, secret_key(info): secret or case.secret}


def output_of(outputs: Mapping[str, Any], info: KindInfo, name: str) -> Any:
    """A stack output of the example (``<resource>Status`` / ``<resource>Identity``)."""
    return outputs[resource_name(info) + camel(name)[:1].upper() + camel(name)[1:]]


def kinds() -> tuple[KindInfo, ...]:
    return native_kinds()
