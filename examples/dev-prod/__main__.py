"""The same credentials in every environment, secrets from each stack's config.

`make_stacks.py` (next to this file) creates a `dev` and a `prod` stack of this program against
the vendor emulator, with deliberate drift, for `vendor-credentials audit dev prod`. Real stacks
set the secrets with `pulumi config set --secret` and leave `baseUrl` unset.
"""

import pulumi

from vendor_credentials import helpscout, intercom, talkdesk

config = pulumi.Config()
base_url = config.get("baseUrl")  # only for gateways, proxies and the emulator

helpscout.MailboxCredential(
    "support-mailbox",
    app_id=config.require("helpscoutAppId"),
    app_secret=config.require_secret("helpscoutAppSecret"),
    description="Inbox API app used by the support-sync service",
    base_url=base_url,
)

helpscout.DocsApiKey(
    "docs-publisher",
    api_key=config.require_secret("helpscoutDocsApiKey"),
    description="Publishes the help center from CI",
    base_url=base_url,
)

intercom.AccessToken(
    "intercom",
    access_token=config.require_secret("intercomAccessToken"),
    region=config.get("intercomRegion") or "eu",
    description="Private app token of the workspace",
    base_url=base_url,
)

talkdesk.ClientCredential(
    "talkdesk-reporting",
    account_name=config.require("talkdeskAccount"),
    client_id=config.require("talkdeskClientId"),
    client_secret=config.require_secret("talkdeskClientSecret"),
    scopes=["account:read"],
    description="Reporting export client",
    base_url=base_url,
)

# Declared only where its token is configured (dev, in the example): an environment-specific
# credential shows up in the audit as missing from the other stacks.
if config.get("intercomSandboxToken") is not None:
    intercom.AccessToken(
        "intercom-sandbox",
        access_token=config.require_secret("intercomSandboxToken"),
        region="au",
        description="Sandbox workspace for integration tests",
        base_url=base_url,
    )
