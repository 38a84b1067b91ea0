"""Kind -> vendor class, resolved lazily so the plugin imports only the vendor it serves.

The kind strings are stored in every ``__provider`` pickle: never rename one. A fifth vendor adds
one line here (and its module).
"""

from __future__ import annotations

import importlib
from typing import Any

from .vendor import Vendor

KINDS: dict[str, str] = {
    "helpscout.MailboxCredential": "vendor_credentials.helpscout:MailboxCredentialVendor",
    "helpscout.DocsApiKey": "vendor_credentials.helpscout:DocsApiKeyVendor",
    "intercom.AccessToken": "vendor_credentials.intercom:AccessTokenVendor",
    "talkdesk.ClientCredential": "vendor_credentials.talkdesk:ClientCredentialVendor",
}

_instances: dict[str, Vendor[Any]] = {}


def vendor_for(kind: str) -> Vendor[Any]:
    """The vendor object for a kind (imported on first use)."""
    found = _instances.get(kind)
    if found is None:
        try:
            module_name, _, class_name = KINDS[kind].partition(":")
        except KeyError:
            raise KeyError(
                f"unknown credential kind '{kind}': this state was written by a newer version of "
                "pulumi-vendor-credentials; upgrade the package"
            ) from None
        found = getattr(importlib.import_module(module_name), class_name)()
        _instances[kind] = found
    return found
