"""One declaration per credential kind: how a test stack builds it and how the emulator moves it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from vendor_credentials import helpscout, intercom, talkdesk
from vendor_credentials.core.provider import OUTPUT_NAMES
from vendor_credentials.emulator import DEMO_CREDENTIALS


@dataclass(frozen=True)
class VendorCase:
    """A credential kind as the lifecycle tests see it."""

    id: str
    kind: str
    secret_input: str
    secret: str  # the seeded, valid secret
    plain: dict[str, str]  # non-secret inputs, from the emulator's seed
    replace: tuple[str, str] | None  # (input, new value) naming another credential
    emulator_key: str  # the emulator's seed label (its revoke/rotate take it)
    build: Callable[[str, dict[str, Any]], pulumi.CustomResource]
    identity_keys: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return self.id

    def program(self, resource_name: str = "cred") -> Callable[[], None]:
        """An inline program declaring this credential from stack config, exporting its outputs."""

        def program() -> None:
            cfg = pulumi.Config()
            args: dict[str, Any] = {self.secret_input: cfg.require_secret(self.secret_input)}
            for name in self.plain:
                args[name] = cfg.require(name)
            args["base_url"] = cfg.require("base_url")
            description = cfg.get("description")
            if description:
                args["description"] = description
            resource = self.build(resource_name, args)
            for output in OUTPUT_NAMES:
                pulumi.export(output, getattr(resource, output))

        return program


_HS = DEMO_CREDENTIALS["helpscout_mailbox"]
_DOCS = DEMO_CREDENTIALS["helpscout_docs"]
_IC = DEMO_CREDENTIALS["intercom_eu"]
_TD = DEMO_CREDENTIALS["talkdesk"]

CASES: tuple[VendorCase, ...] = (
    VendorCase(
        id="helpscout-mailbox",
        kind="helpscout.MailboxCredential",
        secret_input="app_secret",
        secret=_HS["app_secret"],
        plain={"app_id": _HS["app_id"]},
        replace=("app_id", "another-app-id"),
        emulator_key="helpscout_mailbox",
        build=lambda name, a: helpscout.MailboxCredential(name, **a),
        identity_keys=("user_id", "email", "company_id", "role"),
    ),
    VendorCase(
        id="helpscout-docs",
        kind="helpscout.DocsApiKey",
        secret_input="api_key",
        secret=_DOCS["api_key"],
        plain={},
        replace=None,
        emulator_key="helpscout_docs",
        build=lambda name, a: helpscout.DocsApiKey(name, **a),
        identity_keys=("site_ids", "subdomains"),
    ),
    VendorCase(
        id="intercom",
        kind="intercom.AccessToken",
        secret_input="access_token",
        secret=_IC["access_token"],
        plain={"region": "eu"},
        replace=("region", "au"),
        emulator_key="intercom_eu",
        build=lambda name, a: intercom.AccessToken(name, **a),
        identity_keys=("workspace_id", "workspace_name", "region", "admin_id", "admin_email"),
    ),
    VendorCase(
        id="talkdesk",
        kind="talkdesk.ClientCredential",
        secret_input="client_secret",
        secret=_TD["client_secret"],
        plain={"account_name": _TD["account"], "client_id": _TD["client_id"]},
        replace=("client_id", "another-client-id"),
        emulator_key="talkdesk",
        build=lambda name, a: talkdesk.ClientCredential(name, **a),
        identity_keys=("account_name", "account_id", "client_id", "scopes"),
    ),
)
