"""The validations a preview's ``check`` made, so a second check of the same inputs is free."""

from __future__ import annotations

import hashlib
import json
import threading
import time

from .inputs import CredentialInputs
from .kind import Validation


class RecentValidations:
    """Validations made by ``check`` in a preview, keyed by a SHA-256 of the inputs: the engine
    may check a resource twice in one preview, and the second check reuses the first result."""

    TTL_SECONDS = 120.0

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Validation]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(kind: str, spec: CredentialInputs) -> str:
        canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(f"{kind}\x00{canonical}".encode()).hexdigest()

    def put(self, kind: str, spec: CredentialInputs, validation: Validation) -> None:
        with self._lock:
            now = time.monotonic()
            self._entries = {
                k: v for k, v in self._entries.items() if now - v[0] < self.TTL_SECONDS
            }
            self._entries[self._key(kind, spec)] = (now, validation)

    def get(self, kind: str, spec: CredentialInputs) -> Validation | None:
        """The recent validation of these inputs, if any."""
        with self._lock:
            entry = self._entries.get(self._key(kind, spec))
        if entry is None or time.monotonic() - entry[0] >= self.TTL_SECONDS:
            return None
        return entry[1]


RECENT = RecentValidations()
