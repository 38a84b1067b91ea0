"""``vendor-credentials login VENDOR``: the one interactive step of an authorization-code app.

Consent happens in a browser once per environment; what comes out is a refresh token, written
straight into the stack's config as a secret (``pulumi config set --secret`` with the value on
stdin). The flow: check the stack's config is writable, listen on the callback URL's loopback
port (or wait for a pasted URL with ``--no-browser``), print the authorize URL with a fresh
``state`` and open a browser where one exists, check ``state`` on the way back, exchange the
code on the core HTTP path (TLS checks, retries, redaction), ask who authorised, store the token.
Any failure before the last step writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .callback import LoginError

if TYPE_CHECKING:
    from .app import AuthorizationCodeApp

DEFAULT_CALLBACK = "http://localhost:8765/callback"
DEFAULT_TIMEOUT = 300.0


DESCRIPTION = (
    "Run the OAuth2 authorization-code flow for an app you created in the vendor, once per "
    "environment, and store the refresh token it yields as a secret in the stack's config under "
    "--config-key. The app's client secret is read from an environment variable or prompted for "
    "(never an argument); the tokens are never printed."
)


class _Help(argparse.Action):
    """``login --help`` names each vendor's app: only asking for it imports the vendors."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        from .app import app_for, login_vendors

        lines = [_app_help(app_for(vendor)) for vendor in login_vendors()]
        parser.description = " ".join([DESCRIPTION, *lines])
        parser.print_help()
        parser.exit()


def _app_help(app: AuthorizationCodeApp) -> str:
    where = app.redirect_setting.split(" > (")[0]
    return (
        f"{app.vendor}: an app created in {app.title} ({where}), its {app.client_id_label} as "
        f"CLIENT_ID, for {app.kind}(refresh_token=config.require_secret(KEY)); the "
        f"{app.client_secret_label} is read from {app.secret_env}."
    )


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``login`` subcommand's arguments (the vendors are found, not listed here)."""
    from .app import login_vendors

    vendors = login_vendors()
    login = sub.add_parser(
        "login",
        help="authorise an OAuth app in the browser once and store its refresh token as a "
        f"secret in stack config (apps of: {', '.join(vendors)})",
        description=DESCRIPTION,
        epilog="The app's Redirection URL must be exactly --callback-url (default "
        f"{DEFAULT_CALLBACK}): the vendor sends the browser there with the code, and login "
        "listens on that port of this machine. On a remote shell use --no-browser: open the "
        "printed URL anywhere, then paste the address the browser lands on (an error page is "
        "fine: only its URL matters). Run it in the project directory (or --cwd) with the "
        "stack's backend and PULUMI_CONFIG_PASSPHRASE set, as for `pulumi config set`. Exit "
        "codes: 0 stored, 1 nothing stored (the message says why), 130 interrupted.",
        add_help=False,
    )
    login.add_argument("-h", "--help", action=_Help, help="show this help message and exit")
    login.add_argument("vendor", choices=vendors, help="the vendor of the app")
    login.add_argument(
        "client_id", metavar="CLIENT_ID", help="the app's client id (the vendor may call it App ID)"
    )
    login.add_argument("--stack", required=True, help="stack whose config receives the token")
    login.add_argument(
        "--config-key",
        required=True,
        metavar="KEY",
        help="config key to write, e.g. acmeRefreshToken (stored with --secret)",
    )
    login.add_argument(
        "--cwd", default=".", metavar="DIR", help="the Pulumi project directory (default: .)"
    )
    login.add_argument(
        "--callback-url",
        default=DEFAULT_CALLBACK,
        metavar="URL",
        help="where the vendor redirects after consent; must equal the app's Redirection URL "
        f"(default: {DEFAULT_CALLBACK})",
    )
    login.add_argument(
        "--no-browser",
        action="store_true",
        help="do not listen or open a browser: print the URL and read the redirected URL you "
        "paste (for remote shells)",
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for consent (default: {DEFAULT_TIMEOUT:.0f})",
    )
    login.add_argument(
        "--base-url",
        metavar="ORIGIN",
        help="replace the vendor's hosts (consent page, token endpoint, API) with this origin, "
        "like the resources' base_url: the emulator, a gateway. https, except to loopback",
    )
    login.add_argument(
        "--authorize-url",
        metavar="URL",
        help="the consent page's URL without query, when only it moves (default: the vendor's, "
        "or --base-url's)",
    )


def run(args: argparse.Namespace) -> int:
    from .flow import login

    try:
        login(args)
    except LoginError as exc:
        print(f"login failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nlogin interrupted: nothing was written", file=sys.stderr)
        return 130
    return 0


__all__ = ["DEFAULT_CALLBACK", "LoginError", "add_parser", "run"]
