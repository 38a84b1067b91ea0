"""Help Scout: the Inbox (Mailbox) API's OAuth2 client credentials, a user's authorisation of a
Mailbox app, and the Docs API key: one module per kind.

- ``mailbox``: ``MailboxCredential``, an app's App ID + App Secret (client-credentials exchange);
- ``authorization``: ``MailboxAuthorization``, a refresh token stored by
  ``vendor-credentials login helpscout`` (``login.py`` declares that app) and carried in state;
- ``docs``: ``DocsApiKey``, probed with HTTP Basic.
"""

from __future__ import annotations

from .authorization import (
    MailboxAuthorization,
    MailboxAuthorizationInputs,
    MailboxAuthorizationKind,
)
from .docs import DocsApiKey, DocsApiKeyInputs, DocsApiKeyKind
from .mailbox import (
    MailboxCredential,
    MailboxCredentialInputs,
    MailboxCredentialKind,
)

__all__ = [
    "DocsApiKey",
    "DocsApiKeyInputs",
    "DocsApiKeyKind",
    "MailboxAuthorization",
    "MailboxAuthorizationInputs",
    "MailboxAuthorizationKind",
    "MailboxCredential",
    "MailboxCredentialInputs",
    "MailboxCredentialKind",
]
