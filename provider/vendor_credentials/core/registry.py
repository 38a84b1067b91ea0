"""Kind string -> ``CredentialKind``, found from the declarations in the vendor modules.

A kind string's prefix is its vendor (``acme.ApiToken`` lives in ``vendor_credentials.acme``,
a module, or in a submodule of the package ``vendor_credentials.acme`` when the vendor has several
kinds), so ``kind_for`` imports only the vendor it serves, and ``all_kinds`` imports every vendor
of the package. Kind strings are stored in every ``__provider`` pickle and in state: never rename
one.
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
MACHINERY = frozenset(
    {"cli", "demo", "engine", "langhost", "audit", "core", "emulator", "login", "native"}
)
# A vendor package's module that declares its ``login`` app (``login/app.py``), never a kind: not
# imported with the kinds, so a provider resolving them does not load the login machinery.
LOGIN_MODULE = "login"

_kinds: dict[str, CredentialKind] = {}
_lock = threading.Lock()


def _register(vendor: ModuleType) -> None:
    """The kinds declared in a vendor module, or in a vendor package's submodules."""
    name = vendor.__name__.rpartition(".")[2]
    modules = [vendor]
    for info in pkgutil.iter_modules(getattr(vendor, "__path__", [])):
        if not info.name.startswith("_") and info.name != LOGIN_MODULE:
            modules.append(importlib.import_module(f"{vendor.__name__}.{info.name}"))
    for module in modules:
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, CredentialKind)
                and value.__module__ == module.__name__
                and "kind" in value.__dict__
            ):
                if value.kind.partition(".")[0] != name:
                    raise TypeError(
                        f"{value.__module__}.{value.__name__}: kind '{value.kind}' must start "
                        f"with its vendor's name, '{name}.', or kind_for cannot find it"
                    )
                with _lock:
                    _kinds.setdefault(value.kind, value())


def is_vendor_name(name: str) -> bool:
    """A module name of the package that may be a vendor's (not machinery, not private)."""
    return name.isidentifier() and name not in MACHINERY and not name.startswith("_")


def vendor_names() -> list[str]:
    """The package's vendor modules and packages, by name, none of them imported."""
    package = importlib.import_module(PACKAGE)
    return sorted(i.name for i in pkgutil.iter_modules(package.__path__) if is_vendor_name(i.name))


def _vendor_module(name: str) -> ModuleType | None:
    if not is_vendor_name(name):
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
    for name in vendor_names():
        module = _vendor_module(name)
        if module is not None:
            _register(module)
    return [_kinds[name] for name in sorted(_kinds)]


def resource_class(kind: str) -> Any:
    """The resource class of a kind: ``<declaring module>.<kind name>`` (``acme.ApiToken``)."""
    declaration = kind_for(kind)
    return getattr(importlib.import_module(type(declaration).__module__), kind.partition(".")[2])
