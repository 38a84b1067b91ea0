"""Pulumi resources for third-party API credentials that prove they work.

    from vendor_credentials import helpscout, intercom, talkdesk

Importing this package is cheap: each vendor module is imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["generic", "helpscout", "intercom", "talkdesk"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import generic, helpscout, intercom, talkdesk


def __getattr__(name: str) -> Any:
    """Any vendor module by attribute (``vendor_credentials.acme``), imported on first use."""
    if name.isidentifier() and not name.startswith("_"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
