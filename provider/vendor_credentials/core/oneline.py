"""Provider failures reach the engine as one clean line, not ``package.module.Class: message``.

Pulumi's dynamic-provider plugin (``python -m pulumi.dynamic``, run as ``__main__``) answers every
exception with ``traceback.format_exc()``. ``sys.tracebacklimit = 0`` drops the stack, but the
line left still starts with the exception's qualified class name, which tells a user nothing. So
in the plugin process only, ``format_exc`` answers our own message types with their text alone;
anything else keeps the SDK's behaviour.
"""

from __future__ import annotations

import sys
import traceback
from types import ModuleType
from typing import Any


class _MessageOnly:
    """Stands in for the ``traceback`` module inside the plugin's ``__main__``."""

    def __init__(self, original: ModuleType, types: tuple[type[BaseException], ...]) -> None:
        self._original = original
        self._types = types

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        exc = sys.exc_info()[1]
        if isinstance(exc, self._types):
            return str(exc)
        return str(self._original.format_exc(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def install(*types: type[BaseException]) -> bool:
    """Show ``types`` as their message alone; True when the plugin's module was found."""
    main = sys.modules.get("__main__")
    current = getattr(main, "traceback", None)
    if main is None or not hasattr(main, "_abort_with_traceback"):
        return False  # not the dynamic-provider plugin (tests, programs, the audit)
    if isinstance(current, _MessageOnly):
        return True
    if current is not traceback:
        return False  # an SDK that formats errors some other way: leave it alone
    main.traceback = _MessageOnly(traceback, types)  # type: ignore[attr-defined]
    return True
