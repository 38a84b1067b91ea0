"""Our credentials in an exported deployment (``pulumi stack export``), secrets kept apart.

Each ``Credential`` is built from plain-text outputs only; decrypted values (``--live`` exports
with ``--show-secrets``) come back separately, by URN, for the live check alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .model import HIDDEN, Credential, parse_time, region_of

# Pulumi's marker of a secret value in exported state (`ciphertext`, or `plaintext` once shown).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
# Our resources' type tokens contain this: pulumi-python:dynamic/vendor-credentials:... (Python
# dynamic resources) and vendor-credentials:<vendor>:<Kind> (the native provider).
TYPE_MARKER = "vendor-credentials:"
STACK_TYPE = "pulumi:pulumi:Stack"


def parse_deployment(
    deployment: Mapping[str, Any], *, reveal: bool = False
) -> tuple[tuple[Credential, ...], dict[str, dict[str, Any]]]:
    """Our credentials in an exported deployment.

    Each ``Credential`` is built from plain-text outputs only: an output state keeps encrypted
    shows as ``[secret]``, even when the export revealed it. With ``reveal``, the second value
    maps each credential's URN to its outputs with secrets decrypted, for the live check.
    """
    resources = [r for r in deployment.get("resources") or [] if isinstance(r, dict)]
    by_urn = {str(r.get("urn")): r for r in resources}
    found: list[Credential] = []
    revealed: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if TYPE_MARKER not in str(resource.get("type", "")) or resource.get("delete"):
            continue
        urn = str(resource.get("urn", ""))
        raw = _snake_keys(resource)
        outputs = {k: _public(v) for k, v in raw.items()}
        found.append(_credential(urn, _name(resource, by_urn), str(resource["type"]), outputs))
        if reveal:
            revealed[urn] = {k: _reveal(v) for k, v in raw.items()}
    return tuple(found), revealed


def _snake_keys(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs by their Python names: the native provider's types (``vendor-credentials:...``)
    store camelCase (``statusReason``), the dynamic resources snake_case (``status_reason``)."""
    raw = dict(resource.get("outputs") or {})
    if not str(resource.get("type", "")).startswith(TYPE_MARKER):
        return raw
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): v for k, v in raw.items()}


def _credential(urn: str, name: str, type_token: str, outputs: Mapping[str, Any]) -> Credential:
    identity_raw = outputs.get("identity")
    identity = (
        {str(k): _text(v) for k, v in sorted(identity_raw.items())}
        if isinstance(identity_raw, dict)
        else ({"identity": HIDDEN} if identity_raw == HIDDEN else {})
    )
    scopes_raw = outputs.get("scopes")
    scopes = tuple(sorted(_text(s) for s in scopes_raw)) if isinstance(scopes_raw, list) else ()
    fingerprint = _text(outputs.get("fingerprint"))
    kind = _text(outputs.get("kind")) or type_token.rsplit(":", 1)[-1]
    return Credential(
        name=name,
        kind=kind,
        status=_text(outputs.get("status")) or "unknown",
        status_reason=_text(outputs.get("status_reason")),
        identity=identity,
        region=region_of(kind, identity, _text(outputs.get("region"))),
        scopes=scopes,
        fingerprint="" if fingerprint == HIDDEN else fingerprint,
        validated_at=parse_time(outputs.get("validated_at")),
        expires_at=parse_time(outputs.get("expires_at")),
        urn=urn,
    )


def _urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


def _name(resource: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str:
    """The resource name, prefixed by its component parents' names (not the stack's)."""
    parts = [_urn_name(str(resource.get("urn", "")))]
    parent = resource.get("parent")
    for _ in range(64):  # parents form a tree; the bound only guards against a corrupt file
        holder = by_urn.get(str(parent)) if parent else None
        if holder is None or holder.get("type") == STACK_TYPE:
            break
        parts.append(_urn_name(str(parent)))
        parent = holder.get("parent")
    return "/".join(reversed(parts))


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def _each_secret(value: Any, replace: Callable[[dict[str, Any]], Any]) -> Any:
    """The value with every secret object in it (at any depth) replaced by ``replace(secret)``."""
    if _is_secret(value):
        return replace(value)
    if isinstance(value, dict):
        return {k: _each_secret(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_each_secret(v, replace) for v in value]
    return value


def _public(value: Any) -> Any:
    """The value with every secret replaced by ``[secret]``, decrypted or not."""
    return _each_secret(value, lambda _: HIDDEN)


def _reveal(value: Any) -> Any:
    """The value with secrets decrypted (``--show-secrets`` export); still-encrypted ones None."""
    return _each_secret(value, _plaintext)


def _plaintext(secret: dict[str, Any]) -> Any:
    plaintext = secret.get("plaintext")
    if not isinstance(plaintext, str):
        return None
    try:
        return _reveal(json.loads(plaintext))
    except ValueError:
        return plaintext


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
