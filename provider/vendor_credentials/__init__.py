"""Pulumi resources for third-party API credentials that prove they work.

    from vendor_credentials import helpscout, intercom, talkdesk

Importing this package is cheap: each vendor module is imported when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["helpscout", "intercom", "talkdesk"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import helpscout, intercom, talkdesk


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
