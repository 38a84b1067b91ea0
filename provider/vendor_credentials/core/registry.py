"""Kind string -> ``CredentialKind``, found from the declarations in the vendor modules.

A kind string's prefix is its module (``acme.ApiToken`` lives in
``vendor_credentials.acme``), so ``kind_for`` imports only the vendor it serves, and
``all_kinds`` imports every vendor module of the package. Kind strings are stored in every
``__provider`` pickle and in state: never rename one.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from types import ModuleType
from typing import Any

from .kind import CredentialKind

PACKAGE = "vendor_credentials"
# Modules of the package that are machinery, never a vendor's: not imported by ``all_kinds``.
MACHINERY = frozenset({"cli", "demo", "engine", "langhost", "core", "audit", "emulator"})

_kinds: dict[str, CredentialKind] = {}
_lock = threading.Lock()


def _register(module: ModuleType) -> None:
    for value in list(vars(module).values()):
        if (
            isinstance(value, type)
            and issubclass(value, CredentialKind)
            and value.__module__ == module.__name__
            and "kind" in value.__dict__
        ):
            with _lock:
                _kinds.setdefault(value.kind, value())


def _vendor_module(name: str) -> ModuleType | None:
    if not name.isidentifier() or name in MACHINERY or name.startswith("_"):
        return None
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{PACKAGE}.{name}":
            return None
        raise


def kind_for(kind: str) -> CredentialKind:
    """The declaration of a kind (its vendor module imported on first use)."""
    found = _kinds.get(kind)
    if found is None:
        module = _vendor_module(kind.partition(".")[0])
        if module is not None:
            _register(module)
        found = _kinds.get(kind)
    if found is None:
        raise KeyError(
            f"unknown credential kind '{kind}': this state was written by a newer version of "
            "pulumi-vendor-credentials; upgrade the package"
        )
    return found


def all_kinds() -> list[CredentialKind]:
    """Every kind the package declares, in kind-string order."""
    package = importlib.import_module(PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            module = _vendor_module(info.name)
            if module is not None:
                _register(module)
    return [_kinds[name] for name in sorted(_kinds)]


def resource_class(kind: str) -> Any:
    """The resource class of a kind: ``<vendor module>.<kind name>`` (``acme.ApiToken``)."""
    declaration = kind_for(kind)
    return getattr(importlib.import_module(type(declaration).__module__), kind.partition(".")[2])
