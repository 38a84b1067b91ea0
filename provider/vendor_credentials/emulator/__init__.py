"""A local emulator of the vendor APIs the credential kinds call, one module per vendor.

It is the test double for the credential provider and the target of the demo. It shares no code
with the vendor client modules (so a misunderstanding in a client cannot be mirrored here), only
their sample data: it seeds the credentials each kind declares in ``samples``. ``base.py`` holds
what every emulated API shares (with ``wire.py``, ``store.py`` and ``faults.py``), ``server.py``
the server and its control surface (with ``sockets.py``, ``routing.py``, ``admin.py`` and
``knobs.py``), and ``<vendor>.py`` each vendor's routes, answer shapes, seeds and faults.
Importing this package is cheap: the server (and http.server/ssl) loads only when ``Emulator``
is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Fault

if TYPE_CHECKING:
    from .server import Emulator, RequestRecord

    DEMO_CREDENTIALS: dict[str, dict[str, Any]]
    DEMO_IDENTITIES: dict[str, dict[str, str]]

__all__ = ["DEMO_CREDENTIALS", "DEMO_IDENTITIES", "Emulator", "Fault", "RequestRecord"]


def __getattr__(name: str) -> Any:
    """Load the server and the sample data lazily so the package import stays light."""
    if name in ("Emulator", "RequestRecord"):
        from . import server

        return getattr(server, name)
    if name in ("DEMO_CREDENTIALS", "DEMO_IDENTITIES"):
        from ..core.registry import all_kinds

        samples = [sample for kind in all_kinds() for sample in kind.samples]
        if name == "DEMO_CREDENTIALS":  # the seeded credentials' inputs, by emulator label
            return {s.name: dict(s.inputs) for s in samples}
        return {s.name: dict(s.identity) for s in samples}  # what their proofs report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
