"""One credential of each kind, secrets from stack config.

Production stacks set the secrets with `pulumi config set --secret` and leave `baseUrl` unset (each
credential then talks to its vendor's own hosts). The demo (`vendor-credentials demo`) sets
`baseUrl` to the built-in vendor emulator and its seeded demo credentials.
"""

import pulumi

from vendor_credentials import helpscout, intercom, talkdesk

config = pulumi.Config()
base_url = config.get("baseUrl")  # only for gateways, proxies and the emulator

mailbox = helpscout.MailboxCredential(
    "support-mailbox",
    app_id=config.require("helpscoutAppId"),
    app_secret=config.require_secret("helpscoutAppSecret"),
    description="Inbox API app used by the support-sync service",
    base_url=base_url,
)

docs = helpscout.DocsApiKey(
    "docs-publisher",
    api_key=config.require_secret("helpscoutDocsApiKey"),
    description="Publishes the help center from CI",
    base_url=base_url,
)

messenger = intercom.AccessToken(
    "intercom-eu",
    access_token=config.require_secret("intercomAccessToken"),
    region=config.get("intercomRegion") or "eu",
    description="Private app token of the EU workspace",
    base_url=base_url,
)

contact_center = talkdesk.ClientCredential(
    "talkdesk-reporting",
    account_name=config.require("talkdeskAccount"),
    client_id=config.require("talkdeskClientId"),
    client_secret=config.require_secret("talkdeskClientSecret"),
    scopes=["account:read"],
    description="Reporting export client",
    base_url=base_url,
)

for name, credential in {
    "supportMailbox": mailbox,
    "docsPublisher": docs,
    "intercomEu": messenger,
    "talkdeskReporting": contact_center,
}.items():
    pulumi.export(
        name,
        pulumi.Output.all(
            credential.status,
            credential.identity,
            credential.fingerprint,
            credential.expires_at,
        ).apply(lambda v: {"status": v[0], "identity": v[1], "fingerprint": v[2], "expires_at": v[3]}),
    )
