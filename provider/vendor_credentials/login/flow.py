"""The login flow, step by step (see the package docstring for the why)."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from ..core.inputs import BaseUrl
from ..core.redact import Redactor, safe_url, url_redactor
from .app import AuthorizationCodeApp, app_for
from .callback import Callback, CallbackServer, CallbackUrl, LoginError, code_from, read_pasted
from .stackconfig import StackConfig


def login(args: argparse.Namespace) -> None:
    app = app_for(args.vendor)
    client_id = _client_id(args.client_id, app)
    api_origin, authorize_origin = _origins(args, app)
    target = CallbackUrl.parse(args.callback_url, listen=not args.no_browser)
    if args.timeout <= 0:
        raise LoginError("--timeout must be a positive number of seconds")
    config = _stack_config(args)
    client_secret = _client_secret(app)
    config.check()

    state = secrets.token_urlsafe(32)
    url = app.authorize_url(client_id, state, authorize_origin)
    if args.no_browser:
        callback = _pasted(app, url, target, args.timeout)
        code = code_from(callback, state, app.title)
    else:
        with CallbackServer(target, lambda cb: code_from(cb, state, app.title)) as server:
            _announce(app, url, target)
            _open_browser(url)
            callback = server.wait(args.timeout, _progress(args.timeout))
            code = server.code or ""
    _warn_if_elsewhere(app, target, callback)

    redactor = Redactor([client_secret, code])
    session = app.session(redactor)
    grant = app.exchange_code(session, api_origin, client_id, client_secret, code)
    code_age = time.monotonic() - callback.received
    # The code is spent: keep its refresh token before anything else can fail, so that a failed
    # identity lookup (informational) does not cost the user another consent.
    config.set_secret(grant.refresh_token)
    who: Mapping[str, str] | str = f"{app.title} sent no usable access token with it"
    if grant.access_token:
        try:
            who = app.whoami(session, api_origin, grant.access_token)
        except LoginError as unconfirmed:
            who = str(unconfirmed)
    _report(app, args, who, code_age, grant.expires_at)


def _client_id(raw: str, app: AuthorizationCodeApp) -> str:
    value = raw.strip()
    if not value or value != raw or any(c.isspace() for c in value) or len(value) > 200:
        raise LoginError(
            f"the {app.client_id_label} must be one word without spaces (copy it from "
            f"{app.redirect_setting.split(' > (')[0]})"
        )
    return value


def _origins(args: argparse.Namespace, app: AuthorizationCodeApp) -> tuple[str, str]:
    """(API origin, consent page URL) after ``--base-url`` and ``--authorize-url``."""
    api, page = app.api_origin, app.authorize_origin + app.authorize_path
    if args.base_url:
        api = _checked_origin("--base-url", args.base_url)
        page = api + app.authorize_path
    if args.authorize_url:
        parts = urlsplit(args.authorize_url)
        origin = _checked_origin("--authorize-url", f"{parts.scheme}://{parts.netloc}")
        page = origin + (parts.path or "/")
    return api, page


def _checked_origin(flag: str, value: str) -> str:
    """An origin by the same rules as the resources' ``base_url`` (https, except loopback)."""
    try:
        origin: str = TypeAdapter(BaseUrl).validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        # Printed like every URL of this package: user info and query values masked.
        raise LoginError(f"{flag} '{safe_url(value)}': {url_redactor(value)(message)}") from None
    return origin


def _stack_config(args: argparse.Namespace) -> StackConfig:
    from ..audit.stacks import AuditError, cli_env, find_pulumi

    try:
        pulumi = find_pulumi()
    except AuditError as exc:
        raise LoginError(str(exc)) from None
    key = args.config_key.strip()
    if not key or any(c.isspace() for c in key):
        raise LoginError("--config-key must be one word, e.g. acmeRefreshToken")
    return StackConfig(pulumi, args.stack, key, Path(args.cwd).resolve(), cli_env())


def _client_secret(app: AuthorizationCodeApp) -> str:
    """From the environment, else a prompt that does not echo; never from argv."""
    value = os.environ.get(app.secret_env, "")
    if not value:
        if not sys.stdin.isatty():
            raise LoginError(
                f"set {app.secret_env} to the app's {app.client_secret_label} (it is never "
                "taken as an argument), or run login in a terminal to be prompted"
            )
        value = getpass.getpass(f"{app.title} {app.client_secret_label} (not shown): ")
    value = value.strip()
    if not value:
        raise LoginError(f"the {app.client_secret_label} is empty")
    return value


def _announce(app: AuthorizationCodeApp, url: str, target: CallbackUrl) -> None:
    print(f"Open this URL to authorise the app in {app.title}:\n\n  {url}\n", flush=True)
    print(
        f"Listening on {target.url} for the redirect. The app's Redirection URL "
        f"({app.redirect_setting}) must be exactly {target.url}, or {app.title} will send "
        "the browser elsewhere and this login will time out.",
        flush=True,
    )


def _pasted(app: AuthorizationCodeApp, url: str, target: CallbackUrl, timeout: float) -> Callback:
    print(f"Open this URL in any browser and authorise the app in {app.title}:\n\n  {url}\n")
    print(
        f"{app.title} then sends the browser to the app's Redirection URL (expected: "
        f"{target.url}). The page may fail to load: that is fine, copy the full address from "
        "the address bar.",
        flush=True,
    )
    return read_pasted(timeout, "Paste the URL you were redirected to: ")


def _warn_if_elsewhere(app: AuthorizationCodeApp, target: CallbackUrl, callback: Callback) -> None:
    if not target.same_place(callback.url):
        landed = callback.url.split("?")[0]
        print(
            f"note: the browser came back to {landed}, not --callback-url {target.url}: the "
            f"app's Redirection URL ({app.redirect_setting}) and --callback-url differ; make "
            "them equal so the next login works without pasting",
            file=sys.stderr,
        )


def _open_browser(url: str) -> None:
    """Open a browser only where one can exist (a display, macOS/Windows, or $BROWSER)."""
    has_display = any(os.environ.get(v) for v in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"))
    if has_display or sys.platform in ("darwin", "win32"):
        # In a thread: some browser commands only return when the browser exits.
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        print("Opening a browser...", flush=True)
    else:
        print("No browser here (no DISPLAY or BROWSER): open the URL on any machine.", flush=True)


def _progress(timeout: float) -> Callable[[float], None]:
    tty = sys.stderr.isatty()
    last = [0.0]

    def show(elapsed: float) -> None:
        if tty:
            sys.stderr.write(f"\rwaiting for consent... {elapsed:4.0f}s of {timeout:.0f}s ")
            sys.stderr.flush()
        elif elapsed - last[0] >= 30:
            last[0] = elapsed
            print(f"still waiting for consent ({elapsed:.0f}s of {timeout:.0f}s)", file=sys.stderr)

    return show


def _report(
    app: AuthorizationCodeApp,
    args: argparse.Namespace,
    who: Mapping[str, str] | str,
    code_age: float,
    access_expires: datetime,
) -> None:
    """What was stored, and who authorised it (or why that could not be confirmed)."""
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    hours = (access_expires - datetime.now(UTC)).total_seconds() / 3600
    if isinstance(who, str):
        print(
            f"warning: could not confirm who authorised ({who}); the refresh token is stored "
            "all the same, and `pulumi up` proves it",
            file=sys.stderr,
        )
    else:
        print(f"Authorised by {app.describe(who)}.")
    print(
        f"The authorization code was exchanged {code_age:.1f}s after the browser brought it "
        "back (codes are single use and short-lived; the refresh token replaces it)."
    )
    came_with = (
        f"The access token it came with (valid {hours:.0f} h) was not kept."
        if hours > 0
        else "No usable access token came with it: the first `pulumi up` exchanges it."
    )
    print(
        f"Stored the refresh token as secret config '{args.config_key}' of stack "
        f"'{args.stack}' (not shown). {came_with}"
    )
    print(
        f"Next: declare the credential with refresh_token=config.require_secret("
        f"'{args.config_key}') and run `pulumi up`; each rotation is kept in stack state."
    )
