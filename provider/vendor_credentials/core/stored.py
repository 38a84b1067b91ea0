"""What a credential keeps in state besides its inputs, and how to read its inputs back from it."""

from __future__ import annotations

from typing import Any

# Outputs every credential reports besides its inputs.
OUTPUT_NAMES = (
    "vendor",
    "kind",
    "status",
    "status_reason",
    "identity",
    "fingerprint",
    "validated_at",
    "expires_at",
    "scopes",
    "last_valid_at",
)
# Outputs that change on every validation; kept as they were when nothing else changed, so an
# unchanged credential refreshes with no diff.
VOLATILE_OUTPUTS = ("validated_at", "expires_at", "last_valid_at")
# An input whose name is also an output (the requested `scopes` vs the granted `scopes`) is
# stored among the outputs under this prefix, so diffs compare requested with requested.
REQUESTED_PREFIX = "requested_"


def input_value(props: dict[str, Any], name: str) -> Any:
    """The input ``name`` from an input bag, or from stored outputs (which prefix collisions)."""
    if name in OUTPUT_NAMES and props.get("status") in ("valid", "invalid"):
        return props.get(REQUESTED_PREFIX + name)
    return props.get(name)


def keep_last_known(outs: dict[str, Any], props: dict[str, Any]) -> None:
    """A credential found revoked keeps what it last proved: whose it is, and when it was valid,
    so the audit and `pulumi refresh --diff` still name the account."""
    if isinstance(props.get("identity"), dict):
        outs["identity"] = props["identity"]
    if isinstance(props.get("scopes"), list):
        outs["scopes"] = props["scopes"]
    was_valid = props.get("status") == "valid"
    last = props.get("last_valid_at") or (props.get("validated_at") if was_valid else "")
    outs["last_valid_at"] = last if isinstance(last, str) else ""
