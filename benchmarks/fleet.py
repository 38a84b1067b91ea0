"""The benchmark's credentials: N of them, the four kinds in turn, all served by the emulator.

Credential ``i`` is a pure function of ``i``, so the engine program, the emulator and the plain
httpx script (a separate process) all agree on the same fleet without passing secrets around.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

KINDS = ("helpscout-mailbox", "helpscout-docs", "intercom", "talkdesk")
# Requests one validation makes against the vendor (token exchange + identity probe, or a probe).
REQUESTS_PER_VALIDATION = {
    "helpscout-mailbox": 2,  # POST /v2/oauth2/token, GET /v2/users/me
    "helpscout-docs": 1,  # GET /v1/sites
    "intercom": 1,  # GET /me
    "talkdesk": 2,  # POST /oauth/token, GET /account (the client has account:read)
}
REGIONS = ("us", "eu", "au")


class Adder(Protocol):
    def call(self, name: str, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Credential:
    """One credential of the fleet; ``secret`` is what the resource receives as a secret."""

    index: int

    @property
    def kind(self) -> str:
        return KINDS[self.index % len(KINDS)]

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.index:03d}"

    @property
    def requests(self) -> int:
        return REQUESTS_PER_VALIDATION[self.kind]

    @property
    def secret(self) -> str:
        return f"bench-{self.kind}-secret-{self.index:03d}-0123456789abcdef"

    @property
    def ident(self) -> str:
        """App id, client id or account name: the non-secret half, where the kind has one."""
        return f"bench{self.index:03d}"

    @property
    def region(self) -> str:
        return REGIONS[self.index % len(REGIONS)]

    def register(self, emulator: Adder) -> None:
        """Teach the emulator this credential (through its Python API)."""
        if self.kind == "helpscout-mailbox":
            emulator.call("add", "helpscout_mailbox", app_id=self.ident, app_secret=self.secret)
        elif self.kind == "helpscout-docs":
            emulator.call("add", "helpscout_docs", api_key=self.secret)
        elif self.kind == "intercom":
            emulator.call("add", "intercom", access_token=self.secret, region=self.region)
        else:
            emulator.call(
                "add",
                "talkdesk",
                account=self.ident,
                client_id=self.ident,
                client_secret=self.secret,
                scopes=["account:read"],
            )

    def build(self, base_url: str) -> Any:
        """Declare the resource (inside a Pulumi program)."""
        from vendor_credentials import helpscout, intercom, talkdesk

        if self.kind == "helpscout-mailbox":
            return helpscout.MailboxCredential(
                self.name, app_id=self.ident, app_secret=self.secret, base_url=base_url
            )
        if self.kind == "helpscout-docs":
            return helpscout.DocsApiKey(self.name, api_key=self.secret, base_url=base_url)
        if self.kind == "intercom":
            return intercom.AccessToken(
                self.name, access_token=self.secret, region=self.region, base_url=base_url
            )
        return talkdesk.ClientCredential(
            self.name,
            account_name=self.ident,
            client_id=self.ident,
            client_secret=self.secret,
            scopes=["account:read"],
            base_url=base_url,
        )


def fleet(n: int) -> list[Credential]:
    return [Credential(i) for i in range(n)]


def requests_for(n: int) -> int:
    """Vendor requests that validating the first ``n`` credentials needs, once each."""
    return sum(c.requests for c in fleet(n))


def credential_program(n: int, base_url: str) -> Callable[[], None]:
    def program() -> None:
        for credential in fleet(n):
            credential.build(base_url)

    return program


def noop_program(n: int) -> Callable[[], None]:
    def program() -> None:
        from benchmarks.noop import NoopResource

        for credential in fleet(n):
            NoopResource(credential.name, credential.ident, credential.secret)

    return program
