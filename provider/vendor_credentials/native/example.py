"""``examples/yaml/Pulumi.yaml``, generated from the kinds so it declares every one of them.

``python -m vendor_credentials.native.example --write`` refreshes the committed file (a test fails
when it differs). Names are systematic so tests and users can derive them: the resource of kind
``acme.ApiToken`` is ``acmeApiToken``; its input ``apiToken`` comes from stack config
``acmeApiTokenApiToken``; its outputs are exported as ``<resource>Status`` and
``<resource>Identity``.

``python -m vendor_credentials.native.example --emulator-config URL`` prints the ``pulumi config
set`` commands that point a stack of the example at the emulator (README, "Every Pulumi
language: the native provider").
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from ..core.registry import kind_for
from .generated import print_or_write
from .kinds import KindInfo, camel, native_kinds

EXAMPLE_FILE = Path(__file__).resolve().parents[3] / "examples" / "yaml" / "Pulumi.yaml"
SHARED = ("description", "base_url")  # one config value for every resource

HEADER = """\
# Every credential kind, declared in Pulumi YAML through the native provider plugin
# (pulumi-resource-vendor-credentials). Needs `pulumi`, `pulumi-language-yaml` and the plugin on
# PATH: `scripts/ensure-engine.sh` puts all three in .tools/pulumi/bin. Secrets come from stack
# config (`pulumi config set --secret <key> <value>`). Generated from the kinds' declarations by
# `python -m vendor_credentials.native.example --write`: edit that, not this file.
name: vendor-credentials-yaml
runtime: yaml
description: Third-party API credentials, proved by their vendors and kept encrypted in state.
"""


def resource_name(info: KindInfo) -> str:
    """``acme.ApiToken`` -> ``acmeApiToken``."""
    return info.vendor + info.kind.split(".", 1)[1]


def config_key(info: KindInfo, field: str) -> str:
    """The stack config key one input comes from (``acmeApiTokenRegion``)."""
    if field in SHARED:
        return camel(field)
    name = camel(field)
    return resource_name(info) + name[:1].upper() + name[1:]


def shared_fields(info: KindInfo) -> tuple[str, ...]:
    """The shared inputs a kind takes: ``base_url`` only when it has hosts to replace."""
    return SHARED if kind_for(info.kind).hosts else ("description",)


def literal_inputs(info: KindInfo) -> dict[str, object]:
    """Map and list inputs of the kind's first sample, written into the resource as they are
    (stack config holds strings): e.g. a generic kind's ``identity_fields``."""
    samples = kind_for(info.kind).samples
    inputs = samples[0].inputs if samples else {}
    return {k: v for k, v in inputs.items() if isinstance(v, dict | list)}


def declared_fields(info: KindInfo) -> list[str]:
    """Inputs the example takes from config: required ones, those with a string default, and
    the strings the kind's first sample sets (a generic kind's optional ``probe_url``)."""
    samples = kind_for(info.kind).samples
    given = {k for k, v in samples[0].inputs.items() if isinstance(v, str)} if samples else set()
    return [
        name
        for name, field in info.inputs.model_fields.items()
        if name not in SHARED
        and (
            field.is_required()
            or (field.default is not None and isinstance(field.default, str))
            or name in given
        )
    ]


def _config_lines(info: KindInfo) -> list[str]:
    lines: list[str] = []
    for name in declared_fields(info):
        field = info.inputs.model_fields[name]
        lines.append(f"  {config_key(info, name)}:")
        lines.append("    type: string")
        if name in info.secret_fields:
            lines.append("    secret: true")
        if isinstance(field.default, str):  # unset optional ones must be set in config
            lines.append(f"    default: {json.dumps(field.default)}")
    return lines


def _resource_lines(info: KindInfo) -> list[str]:
    lines = [f"  {resource_name(info)}:", f"    type: {info.token}", "    properties:"]
    for name in (*declared_fields(info), *shared_fields(info)):
        lines.append(f"      {camel(name)}: ${{{config_key(info, name)}}}")
    for name, value in literal_inputs(info).items():
        lines.append(f"      {camel(name)}: {json.dumps(value)}")
    return lines


def render() -> str:
    kinds = native_kinds()
    lines = [HEADER, "config:"]
    lines += ["  baseUrl:", "    type: string", '    default: ""  # empty: the vendors\' own hosts']
    lines += ["  description:", "    type: string", '    default: ""']
    for info in kinds:
        lines += _config_lines(info)
    lines += ["", "resources:"]
    for info in kinds:
        lines += _resource_lines(info)
    lines += ["", "outputs:"]
    for info in kinds:
        name = resource_name(info)
        lines += [f"  {name}Status: ${{{name}.status}}", f"  {name}Identity: ${{{name}.identity}}"]
    return "\n".join(lines) + "\n"


def emulator_config(base_url: str, cli: str) -> list[str]:
    """Shell commands setting a stack's config for every kind's first sample against the
    emulator at ``base_url``. Secrets are read by ``<cli> emulator --print-secret`` when the
    commands run, so they are never printed here."""
    from ..emulator import DEMO_CREDENTIALS

    seeded = {
        str(value): f"{name}.{field}"
        for name, values in DEMO_CREDENTIALS.items()
        for field, value in values.items()
    }
    lines = [f"pulumi config set --plaintext baseUrl {shlex.quote(base_url)}"]
    for info in native_kinds():
        inputs = kind_for(info.kind).samples[0].inputs_at(base_url)
        for name in declared_fields(info):
            value, key = inputs.get(name), config_key(info, name)
            if not isinstance(value, str):
                continue  # the config's default, or a literal in the example
            if name in info.secret_fields:
                read = f"{shlex.quote(cli)} emulator --print-secret {seeded[value]}"
                lines.append(f'pulumi config set --secret {key} "$({read})"')
            else:  # --plaintext: keys such as ...TokenUrl look like secrets to the CLI
                lines.append(f"pulumi config set --plaintext {key} {shlex.quote(value)}")
    trusted = "'vendor-credentials:trustedOrigins[0]'"  # so previews validate against it
    return [*lines, f"pulumi config set --path {trusted} {shlex.quote(base_url)}"]


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--emulator-config"] and len(argv) == 3:
        sibling = Path(sys.executable).parent / "vendor-credentials"
        cli = str(sibling) if sibling.exists() else "vendor-credentials"
        print("\n".join(emulator_config(argv[2], cli)))
        return 0
    if argv[1:] not in ([], ["--write"]):
        sys.stderr.write(
            "usage: python -m vendor_credentials.native.example [--write | --emulator-config URL]\n"
        )
        return 2
    return print_or_write(argv, EXAMPLE_FILE, render())


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
