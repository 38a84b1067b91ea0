"""The Pulumi package schema, generated from the kinds' declarations.

``python -m vendor_credentials.native.schema`` prints it; ``--write`` refreshes the committed
``provider/schema.json`` (a test fails when the two differ). Types come from each kind's input
model, secret and replace-on-change flags from its ``secret_fields`` / ``replace_fields``, the
resource documentation from its docstring. Names are camelCase, as every Pulumi SDK expects.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.provider import OUTPUT_NAMES, REQUESTED_PREFIX
from .config import SETTINGS
from .generated import print_or_write
from .kinds import PACKAGE, KindInfo, camel, native_kinds

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.json"

STRING: dict[str, Any] = {"type": "string"}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

# What every credential reports besides its inputs (the dynamic resources' outputs, camelCased);
# ``{vendor}`` and ``{kind}`` are the resource's own.
RESULTS: dict[str, tuple[dict[str, Any], str]] = {
    "vendor": (STRING, "The vendor: `{vendor}`."),
    "kind": (STRING, "The credential kind: `{kind}` (stable, kept in state)."),
    "status": (STRING, "`valid`, or `invalid` once a refresh found the vendor rejecting it."),
    "status_reason": (STRING, "Why the vendor rejected it (never the secret); empty when valid."),
    "identity": (
        {"type": "object", "additionalProperties": {"type": "string"}},
        "Whom or what the credential belongs to, as the vendor answered (non-secret).",
    ),
    "fingerprint": (
        STRING,
        "One-way fingerprint of the secret: equal fingerprints mean the same secret.",
    ),
    "validated_at": (STRING, "When the vendor last accepted it (UTC, ISO 8601)."),
    "expires_at": (STRING, "When the token the vendor issued expires (UTC), or empty."),
    "scopes": (STRINGS, "The scopes the vendor granted (empty when the vendor has none)."),
}
COMMON_INPUTS = {
    "description": "Free text for people: who owns this credential and what uses it.",
    "base_url": "Origin to call instead of the vendor's own host (a gateway, or the local "
    "emulator): https, or http to a loopback address only; no path.",
}


def _type_of(field: dict[str, Any]) -> dict[str, Any]:
    """The schema type of one input: its JSON Schema type, lists and maps of strings included."""
    options = field.get("anyOf", [field])
    typed = next(o for o in options if o.get("type") != "null")
    kind = typed.get("type", "string")
    if kind == "array":
        return dict(STRINGS)
    if kind == "object":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    return {"type": kind if kind in ("boolean", "integer", "number") else "string"}


def _input_spec(info: KindInfo, name: str, field: dict[str, Any]) -> dict[str, Any]:
    spec = _type_of(field)
    words = COMMON_INPUTS.get(name) or f"{field.get('title', name)} of the {info.title}."
    if name in info.secret_fields:
        spec["secret"] = True
        words += " Secret: kept encrypted in state and never printed."
    if "enum" in field:
        words += " One of: " + ", ".join(f"`{v}`" for v in field["enum"]) + "."
    if name in info.replace_fields:
        spec["replaceOnChanges"] = True
        words += " It names another credential: a change replaces the resource."
    if field.get("default") not in (None, ""):
        spec["default"] = field["default"]
    if name == "scopes" and name in OUTPUT_NAMES:
        words += " The requested scopes; the output `scopes` lists those granted."
    spec["description"] = words
    return spec


def resource_spec(info: KindInfo) -> dict[str, Any]:
    """One kind as a schema resource: inputs, outputs (inputs included) and documentation."""
    fields = info.inputs.model_json_schema()["properties"]
    required = set(info.inputs.model_json_schema().get("required", []))
    inputs = {camel(n): _input_spec(info, n, fields[n]) for n in info.input_names}
    outputs: dict[str, Any] = {}
    for name in info.input_names:
        stored = REQUESTED_PREFIX + name if name in OUTPUT_NAMES else name
        outputs[camel(stored)] = inputs[camel(name)]
    for name, (kind, words) in RESULTS.items():
        words = words.format(vendor=info.vendor, kind=info.kind)
        outputs[camel(name)] = {**kind, "description": words}
    for item in info.carried:
        outputs[camel(item.name)] = {**STRING, "description": item.description}
        if item.secret:
            outputs[camel(item.name)].update(secret=True)
    return {
        "description": info.doc,
        "inputProperties": inputs,
        "requiredInputs": sorted(camel(n) for n in required),
        "properties": outputs,
        "required": sorted(camel(n) for n in (*RESULTS, *(n for n in required))),
    }


def _settings() -> dict[str, Any]:
    return {
        s.name: {
            "type": s.type,
            "description": s.description,
            **({"secret": True} if s.secret else {}),
        }
        for s in SETTINGS
    }


def generate() -> dict[str, Any]:
    """The whole package schema."""
    return {
        "name": PACKAGE,
        "displayName": "Vendor Credentials",
        "version": __version__,
        "description": "Third-party API credentials, proved by their vendors' real token exchange "
        "or probe and kept encrypted in state.",
        "keywords": ["pulumi", "credentials", "secrets", "category/utility", "kind/native"],
        "license": "Apache-2.0",
        "config": {"variables": _settings()},
        "provider": {
            "description": "Settings for talking to vendors (stack config `vendor-credentials:*`).",
            "inputProperties": _settings(),
        },
        "resources": {info.token: resource_spec(info) for info in native_kinds()},
        "language": {
            "python": {"packageName": "pulumi_vendor_credentials"},
            "nodejs": {"packageName": "@vendor-credentials/pulumi"},
            "go": {
                "importBasePath": "example.com/vendor-credentials/sdk/go/vendorcredentials",
                "generateResourceContainerTypes": False,
            },
        },
    }


@cache
def schema_json() -> str:
    """The schema as committed: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    raise SystemExit(print_or_write(sys.argv, SCHEMA_FILE, schema_json()))
