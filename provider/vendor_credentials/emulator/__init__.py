"""A local emulator of the Help Scout (Mailbox, Docs), Intercom and Talkdesk APIs.

It is the test double for the credential provider and the target of the demo. It
deliberately shares no code with the vendor client modules, so a misunderstanding in
a client cannot be mirrored here. Importing this package is cheap: the server (and
http.server/ssl) loads only when `Emulator` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .vendors import (
    DEMO_CREDENTIALS,
    DEMO_IDENTITIES,
    DocsSite,
    Fault,
    HelpScoutUser,
    IntercomWorkspace,
)

if TYPE_CHECKING:
    from .server import Emulator, RequestRecord

__all__ = [
    "DEMO_CREDENTIALS",
    "DEMO_IDENTITIES",
    "DocsSite",
    "Emulator",
    "Fault",
    "HelpScoutUser",
    "IntercomWorkspace",
    "RequestRecord",
]


def __getattr__(name: str) -> object:
    """Load the server lazily so `import vendor_credentials.emulator` stays light."""
    if name in ("Emulator", "RequestRecord"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
