"""What a refresh changed in ``status``, for the Diff the engine asks right after that Read.

The engine shows a refresh as the diff an ``up`` of the unchanged program would plan right after
it, inverted (``RefreshStep.Apply`` in pkg/resource/deploy/step.go, v3.274.1): its Diff request
holds the refreshed outputs (``olds``), the refreshed inputs (``old_inputs``) and the inputs
from before (``news``), never the outputs from before. So from the request alone a refresh that
found a credential revoked or restored looks exactly like the ``up`` that follows it, and a
restored one like no change. ``Read`` does get the outputs from before: it notes here which of
``status`` / ``status_reason`` it changed, and the Diff that follows it for the same URN in this
process (the same step) takes the note, once. ``up`` runs in a new plugin process, or after the
note was taken (``up --refresh``), so its plan is unchanged.
"""

from __future__ import annotations

import os
import threading
from typing import Any

SHOWN = ("status", "status_reason")  # the outputs README promises `refresh --diff` shows


def _legacy_refresh_diff() -> bool:
    """``PULUMI_ENABLE_LEGACY_REFRESH_DIFF``: the engine calls no Diff after Read (it diffs the
    outputs itself), so a note would wait for the next ``up``'s Diff: take none."""
    return os.environ.get("PULUMI_ENABLE_LEGACY_REFRESH_DIFF", "").lower() in {"1", "true"}


class RefreshNotes:
    """Per URN: the status outputs one Read changed, and their refreshed values."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: dict[str, tuple[tuple[Any, ...], list[str]]] = {}

    def remember(self, urn: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Note what a refresh of ``urn`` changed; a Read with no outputs from before (an
        import or a ``get``) is no refresh, and one that changed nothing leaves no note."""
        changed = [n for n in SHOWN if before and before.get(n, "") != after.get(n, "")]
        with self._lock:
            self._notes.pop(urn, None)
            if changed and not _legacy_refresh_diff():
                self._notes[urn] = (_shown(after), changed)

    def take(self, urn: str, olds: dict[str, Any]) -> list[str]:
        """The names the Read of ``urn`` changed, if ``olds`` are that Read's outputs."""
        with self._lock:
            note = self._notes.pop(urn, None)
        if note is None or note[0] != _shown(olds):
            return []
        return note[1]


def _shown(outputs: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(outputs.get(n, "") for n in SHOWN)
