"""Create a `dev` and a `prod` stack of this example, with deliberate drift, for the audit.

    .venv/bin/python examples/dev-prod/make_stacks.py            # make (or remake) both stacks
    .venv/bin/python examples/dev-prod/make_stacks.py --serve    # ...and keep the emulator up
    .venv/bin/python examples/dev-prod/make_stacks.py --destroy  # remove both stacks

The stacks live on the project's local file backend (`.pulumi-state/`, see
`vendor_credentials.engine`) and talk to the built-in vendor emulator, started here; the program
runs as an Automation API inline program (no language host needed). The drift:

- docs-publisher: the same Docs API key in dev and prod (one secret in two environments)
- intercom: dev's workspace is in region us, prod's in eu
- intercom-sandbox: declared in dev only
- talkdesk-reporting: prod's client is revoked at the vendor and `pulumi refresh` found it

`--serve` keeps the emulator (and prod's revocation) running until Ctrl-C, so
`vendor-credentials audit dev prod --live` can ask the "vendors" again from another terminal.
"""

from __future__ import annotations

import argparse
import runpy
import signal
import sys
import threading
from pathlib import Path

from pulumi import automation as auto

from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator
from vendor_credentials.emulator.base import new_secret
from vendor_credentials.engine import engine_env, inline_stack

PROJECT = "vendor-credentials-dev-prod"
PROGRAM = Path(__file__).resolve().parent / "__main__.py"
PROD_APP_ID = "prod-support-sync"
PROD_ACCOUNT, PROD_CLIENT_ID = "acme-prod", "prod-reporting-client"


def _program() -> None:
    runpy.run_path(str(PROGRAM), run_name="__main__")


def _config(emulator: Emulator) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """(plain, secret) config per stack; prod's Mailbox app and Talkdesk client are new here."""
    hs, docs = DEMO_CREDENTIALS["helpscout_mailbox"], DEMO_CREDENTIALS["helpscout_docs"]
    td = DEMO_CREDENTIALS["talkdesk"]
    prod_app_secret, prod_client_secret = new_secret(), new_secret()
    emulator.add("helpscout_mailbox", app_id=PROD_APP_ID, app_secret=prod_app_secret)
    emulator.add(
        "talkdesk", account=PROD_ACCOUNT, client_id=PROD_CLIENT_ID, client_secret=prod_client_secret
    )
    dev = (
        {
            "baseUrl": emulator.base_url,
            "helpscoutAppId": hs["app_id"],
            "intercomRegion": "us",  # drift: prod is in eu
            "talkdeskAccount": td["account_name"],
            "talkdeskClientId": td["client_id"],
        },
        {
            "helpscoutAppSecret": hs["app_secret"],
            "helpscoutDocsApiKey": docs["api_key"],  # drift: prod uses the same key
            "intercomAccessToken": DEMO_CREDENTIALS["intercom_us"]["access_token"],
            "talkdeskClientSecret": td["client_secret"],
            "intercomSandboxToken": DEMO_CREDENTIALS["intercom_au"]["access_token"],  # dev only
        },
    )
    prod = (
        {
            "baseUrl": emulator.base_url,
            "helpscoutAppId": PROD_APP_ID,
            "intercomRegion": "eu",
            "talkdeskAccount": PROD_ACCOUNT,
            "talkdeskClientId": PROD_CLIENT_ID,
        },
        {
            "helpscoutAppSecret": prod_app_secret,
            "helpscoutDocsApiKey": docs["api_key"],
            "intercomAccessToken": DEMO_CREDENTIALS["intercom_eu"]["access_token"],
            "talkdeskClientSecret": prod_client_secret,
        },
    )
    return {"dev": dev, "prod": prod}


def _print_line(line: str) -> None:
    print(line, flush=True)


def make(serve: bool) -> int:
    env = engine_env(demo=True)  # the demo's own stacks
    with Emulator() as emulator:
        print(f"vendor emulator on {emulator.base_url}", flush=True)
        stacks = {}
        for name, (plain, secret) in _config(emulator).items():
            stack = inline_stack(name, _program, project=PROJECT, env=env)
            for key, value in plain.items():
                stack.set_config(key, auto.ConfigValue(value))
            for key, value in secret.items():
                stack.set_config(key, auto.ConfigValue(value, secret=True))
            print(f"\n==> pulumi up (stack {name})", flush=True)
            stack.up(on_output=_print_line)
            stacks[name] = stack
        emulator.revoke(PROD_CLIENT_ID)
        print("\n==> Talkdesk revoked prod's client; pulumi refresh (stack prod)", flush=True)
        stacks["prod"].refresh(on_output=_print_line)
        backend = env["PULUMI_BACKEND_URL"]
        print(
            f"\nStacks dev and prod of project {PROJECT} are ready on {backend}. Audit them:\n\n"
            f"    .venv/bin/vendor-credentials audit dev prod --backend-url {backend}\n",
            flush=True,
        )
        if serve:
            print(
                "Serving the emulator for --live audits (run them with this script's "
                "PULUMI_CONFIG_PASSPHRASE: the demo passphrase of vendor_credentials.engine "
                f"unless you set one, and --allow-origin {emulator.base_url}); Ctrl-C or "
                "SIGTERM stops it.",
                flush=True,
            )
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            stop.wait()
    return 0


def destroy() -> int:
    env = engine_env(demo=True)  # the demo's own stacks
    for name in ("dev", "prod"):
        stack = inline_stack(name, _program, project=PROJECT, env=env)
        stack.destroy(on_output=_print_line)
        stack.workspace.remove_stack(name)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help="keep the emulator running")
    parser.add_argument("--destroy", action="store_true", help="destroy and remove both stacks")
    args = parser.parse_args(argv)
    return destroy() if args.destroy else make(args.serve)


if __name__ == "__main__":
    sys.exit(main())
