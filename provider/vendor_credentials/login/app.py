"""What ``login`` needs to know about one vendor's OAuth2 authorization-code app.

A vendor package declares one ``AuthorizationCodeApp`` as ``LOGIN_APP`` in its ``login`` module
(``vendor_credentials.<vendor>.login``: URLs, the environment variable of the client secret, where
the redirect URL is set, the kind its refresh token seeds, and how to ask who authorised); the flow
itself (state, callback, exchange, storing the refresh token) is the same for every vendor. The
vendors with an app are found from those modules, without importing them, so the CLI's parser
stays cheap to build.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..core.errors import VendorError
from ..core.http import Reply, RetryAfter, Session
from ..core.redact import Redactor
from ..core.registry import LOGIN_MODULE, PACKAGE, vendor_names
from .callback import LoginError


@dataclass(frozen=True)
class Grant:
    """What the token endpoint issued for a code. Secret fields are registered for redaction."""

    access_token: str
    refresh_token: str
    expires_at: datetime


@dataclass(frozen=True)
class AuthorizationCodeApp:
    vendor: str  # "acme": the word after `login`, its vendor package's name
    title: str  # "Acme", as people name the vendor
    kind: str  # the RefreshTokenKind whose seed input the refresh token is ("acme.Authorization")
    authorize_origin: str  # where the consent page lives
    authorize_path: str
    api_origin: str  # token endpoint and identity probe
    token_path: str
    secret_env: str  # environment variable holding the client secret
    client_id_label: str  # "App ID": the client id as the vendor's pages name it
    client_secret_label: str  # "App Secret"
    redirect_setting: str  # where the user registers the redirect URL
    retry_after: RetryAfter
    whoami: Callable[[Session, str, str], Mapping[str, str]]  # (session, api origin, token)
    describe: Callable[[Mapping[str, str]], str]  # one line naming who authorised

    def authorize_url(self, client_id: str, state: str, page: str | None = None) -> str:
        """The consent page (``page`` replaces the vendor's) with ``client_id`` and ``state``."""
        query = urlencode({"client_id": client_id, "state": state})
        return f"{page or self.authorize_origin + self.authorize_path}?{query}"

    def session(self, redactor: Redactor) -> Session:
        """A session on the core HTTP path: pooled client, TLS checks, retries, redaction."""
        return Session(vendor=self.vendor, retry_after=self.retry_after, redactor=redactor)

    def exchange_code(
        self, session: Session, origin: str, client_id: str, client_secret: str, code: str
    ) -> Grant:
        """``grant_type=authorization_code`` in a form body; LoginError when refused."""
        url = f"{origin}{self.token_path}"
        try:
            reply = session.request(
                "POST",
                url,
                endpoint=f"POST {url}",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
            )
        except VendorError as exc:
            raise LoginError(f"{session.redactor(str(exc))}: nothing was written") from None
        body = reply.json()
        if reply.status in (400, 401, 403):
            raise LoginError(self._refusal(reply, body))
        if reply.status != 200 or not isinstance(body, dict):
            raise LoginError(
                f"{self.title} answered the code exchange with HTTP {reply.status} and no token "
                f"({reply.endpoint}): nothing was written; run login again"
            )
        refresh, access = (_text(body.get(name)) for name in ("refresh_token", "access_token"))
        session.redactor.add(refresh)
        session.redactor.add(access)
        if not refresh:
            raise LoginError(
                f"{self.title} answered the code exchange without a refresh_token "
                f"({reply.endpoint}): nothing was written; run login again"
            )
        expires_in = body.get("expires_in")
        if not access or isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            # The code is spent and the refresh token is all `pulumi up` needs: keep it. The
            # access token counts as expired, so the first `up` exchanges.
            return Grant("", refresh, datetime.now(UTC))
        return Grant(access, refresh, datetime.now(UTC) + timedelta(seconds=float(expires_in)))

    def _refusal(self, reply: Reply, body: Any) -> str:
        """The vendor's reason, redacted before it is cut: a token endpoint may echo the client
        secret or the code it refused."""
        code = str(body.get("error") or "") if isinstance(body, dict) else ""
        detail = str(body.get("error_description") or "") if isinstance(body, dict) else ""
        said = [reply.redactor.clip(code, 60), reply.redactor.clip(detail, 200)]
        reason = ": ".join(p for p in said if p) or f"HTTP {reply.status}"
        if code in ("invalid_client", "unauthorized_client"):
            hint = (
                f"check the {self.client_id_label} and {self.client_secret_label} "
                f"({self.redirect_setting.split(' > (')[0]})"
            )
        else:
            hint = (
                "authorization codes are single use and short-lived: run login again and "
                "finish within a minute of consenting"
            )
        return (
            f"{self.title} refused the authorization code ({reply.endpoint} -> HTTP "
            f"{reply.status}: {reason}): nothing was written; {hint}"
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def login_vendors() -> list[str]:
    """The vendors whose package has a ``login`` module, none of them imported."""
    package = importlib.import_module(PACKAGE)
    return [
        vendor
        for vendor in vendor_names()
        if any(
            info.name == LOGIN_MODULE
            for info in pkgutil.iter_modules([str(Path(p) / vendor) for p in package.__path__])
        )
    ]


def app_for(vendor: str) -> AuthorizationCodeApp:
    """The app declaration of ``vendor`` (its package is imported on first use)."""
    vendors = login_vendors()
    if vendor not in vendors:
        raise LoginError(
            f"no authorization-code login for '{vendor}'; available: {', '.join(vendors)}"
        )
    module = importlib.import_module(f"{PACKAGE}.{vendor}.{LOGIN_MODULE}")
    app: AuthorizationCodeApp = module.LOGIN_APP
    return app
