"""Property bags on the wire: protobuf ``Struct`` <-> plain dicts, secrets and unknowns included.

The plugin tells the engine it accepts secrets, so a secret value arrives as an object
``{SECRET_SIG_KEY: SECRET_SIG, "value": ...}`` and must leave the same way: the engine then
stores it as ciphertext. Unknown values (preview) are a fixed sentinel string. Names are
translated here too: camelCase on the wire, snake_case in the core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]

from ..core.inputs import UNKNOWN
from .kinds import KindInfo, camel

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

__all__ = ["UNKNOWN", "Bag", "decode", "encode"]


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def _unwrap(value: Any) -> Any:
    if _is_secret(value):
        return _unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _contains_secret(value: Any) -> bool:
    if _is_secret(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


class Bag:
    """A decoded property bag: snake_case values plus the names that arrived as secrets."""

    def __init__(self, values: dict[str, Any], secrets: set[str]) -> None:
        self.values = values
        self.secrets = secrets

    def __repr__(self) -> str:  # never the values: they may be secret
        return f"Bag(keys={sorted(self.values)}, secrets={sorted(self.secrets)})"


def decode(struct: struct_pb2.Struct | None, info: KindInfo | None = None) -> Bag:
    """A wire bag as snake_case values (names unknown to ``info`` are kept as they came)."""
    raw: dict[str, Any] = json_format.MessageToDict(struct) if struct is not None else {}
    names = info.snake_names() if info is not None else {}
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, value in raw.items():
        name = names.get(key, key)
        if _contains_secret(value):
            secrets.add(name)
        values[name] = _unwrap(value)
    return Bag(values, secrets)


def encode(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> struct_pb2.Struct:
    """snake_case values as a wire bag; the named properties leave wrapped as secrets."""
    hidden = set(secrets)
    struct = struct_pb2.Struct()
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[camel(name)] = {SECRET_SIG_KEY: SECRET_SIG, "value": value} if name in hidden else value
    struct.update(out)
    return struct
