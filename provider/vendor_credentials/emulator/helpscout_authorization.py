"""Help Scout's authorization-code flow, as the emulator serves it.

* ``GET /authentication/authorizeClientApplication?client_id=...&state=...``: the consent page.
  Consent is scriptable: the ``helpscout_consent`` option (``page``: an HTML page with Authorize
  and Deny links; ``approve``: approve as the app's owner; ``approve:<email>``: approve as that
  user; ``deny``) or a ``decision=approve|deny`` query parameter (what the page's links add).
  Approval redirects (302) to the app's Redirection URL with ``code`` and ``state``; denial with
  ``error=access_denied`` and ``state``.
* Codes are single use and expire after ``helpscout_code_ttl`` seconds (default 600).
* ``POST /v2/oauth2/token`` with ``grant_type=authorization_code`` or ``refresh_token``: a 48 h
  access token and a refresh token. With ``helpscout_single_use_refresh`` (default on) each
  refresh token works once and its successor replaces it; off, old ones keep working.
  A refused code or refresh token answers what Help Scout answers for a bad refresh token:
  400 ``{"error": "invalid_request", "error_description": "Invalid refresh_token"}``.
* The ``helpscout_token_ttl`` option sets the access tokens' lifetime (default 48 h).
* Seeded authorisations (the kind's samples) have a reusable first refresh token, so every
  kind-driven suite can build many stacks from one sample; the tokens their exchanges issue are
  single use like any other. ``rotate`` is a new login: a fresh single-use token starts the
  chain, every earlier one stops working.
* Each authorisation is a credential of the store: ``revoke(<authorization id or any of its
  refresh tokens>)`` revokes it (refresh tokens and access tokens stop working).

The request log labels a refresh-token request ``<authorization id>#rt<n>``, n being the token's
place in its chain (0 = the one the code exchange issued), so tests can see each token used once.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, urlencode

from .base import Context, Credential, Reply, Request, Store, json_reply, oauth_error, stable_int
from .helpscout import HelpScoutApp, HelpScoutUser

AUTHORIZE_PATH: Final = "/authentication/authorizeClientApplication"
DEFAULT_REDIRECT: Final = "http://localhost:8765/callback"


@dataclass
class HelpScoutAuthorization(
    Credential, api="helpscout_mailbox", secret="refresh_token", lookup="authorization_id"
):
    """One user's consent to one app: its code, then its chain of refresh tokens."""

    authorization_id: str
    app_id: str
    user: HelpScoutUser
    code: str
    code_expires_at: float
    code_used: bool = False
    refresh_token: str = ""  # the newest
    chain: dict[str, int] = field(default_factory=dict)  # every refresh token issued -> place
    spent: set[str] = field(default_factory=set)
    reusable: set[str] = field(default_factory=set)  # a seeded sample's first token

    def identifiers(self) -> tuple[str, ...]:
        return (self.authorization_id, *self.chain)

    def rotated(self, secret: str) -> None:
        """A new login: the chain restarts from ``secret``; every earlier token is spent."""
        self.spent |= set(self.chain)
        self.reusable.clear()
        self.chain[secret] = len(self.chain)
        self.refresh_token = secret

    def issued(self) -> tuple[str, ...]:
        return tuple(self.chain)


def authorizations(store: Store) -> list[HelpScoutAuthorization]:
    return [c for c in store.all() if isinstance(c, HelpScoutAuthorization)]


def _query(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items() if v}


def _redirect(url: str, params: dict[str, str]) -> Reply:
    joiner = "&" if "?" in url else "?"
    reply = Reply(302, b"", content_type="text/plain")
    reply.headers["Location"] = f"{url}{joiner}{urlencode(params)}"
    return reply


def _page(status: int, text: str, links: str = "") -> Reply:
    body = f"<!doctype html><title>Help Scout (emulator)</title><p>{html.escape(text)}</p>{links}"
    return Reply(status, body.encode(), content_type="text/html; charset=utf-8")


def _user_for(app: HelpScoutApp, decision: str) -> HelpScoutUser:
    _, _, email = decision.partition(":")
    if not email:
        return app.user
    return HelpScoutUser(
        id=stable_int(email, 900_000),
        company_id=app.user.company_id,
        email=email,
        first_name=email.split("@")[0].capitalize(),
        last_name="User",
        role="user",
    )


def authorize(ctx: Context, request: Request) -> Reply:
    """The consent page: approve or deny (scripted, or by the page's links)."""
    query = _query(request)
    app = ctx.store.get(HelpScoutApp.api, query.get("client_id", ""))
    if not isinstance(app, HelpScoutApp) or app.revoked:
        return _page(404, "Unknown application: check the client_id (your App ID).")
    state = query.get("state", "")
    decision = query.get("decision") or str(ctx.options["helpscout_consent"])
    if decision == "page":
        base = f"{AUTHORIZE_PATH}?{request.query}"
        links = (
            f'<p><a href="{html.escape(base)}&amp;decision=approve">Authorize</a> '
            f'<a href="{html.escape(base)}&amp;decision=deny">Deny</a></p>'
        )
        return _page(200, f"Allow the app {app.app_id} to access your Help Scout account?", links)
    redirect = app.redirect_url or DEFAULT_REDIRECT
    if decision == "deny":
        return _redirect(redirect, {"error": "access_denied", "state": state})
    if decision != "approve" and not decision.startswith("approve:"):
        return _page(400, f"Unknown decision {decision[:40]!r}: use approve or deny.")
    code = secrets.token_hex(16)
    ttl = float(ctx.options["helpscout_code_ttl"])
    grant = HelpScoutAuthorization(
        authorization_id=f"hsauth-{secrets.token_hex(4)}",
        app_id=app.app_id,
        user=_user_for(app, decision),
        code=code,
        code_expires_at=ctx.now + ttl,
    )
    ctx.store.add(grant)
    return _redirect(redirect, {"code": code, "state": state})


def _refused(description: str) -> Reply:
    return oauth_error(400, "invalid_request", description)


def _issue(ctx: Context, grant: HelpScoutAuthorization) -> Reply:
    """A new access token and the next refresh token of the chain."""
    access = secrets.token_hex(16)
    refresh = secrets.token_hex(20)
    grant.chain[refresh] = len(grant.chain)
    grant.refresh_token = refresh
    ttl = int(ctx.options["helpscout_token_ttl"])
    ctx.store.issue(grant, access, ttl, now=ctx.now)
    return json_reply(
        200,
        {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": ttl,
        },
    )


def code_grant(ctx: Context, app: HelpScoutApp, params: dict[str, str]) -> Reply:
    code = params.get("code", "")
    for grant in authorizations(ctx.store):
        if code and secrets.compare_digest(grant.code, code) and grant.app_id == app.app_id:
            if grant.code_used or grant.code_expires_at <= ctx.now or grant.revoked:
                return _refused("Invalid authorization code")
            grant.code_used = True
            return _issue(ctx, grant)
    return _refused("Invalid authorization code")


def refresh_grant(ctx: Context, app: HelpScoutApp, params: dict[str, str]) -> Reply:
    token = params.get("refresh_token", "")
    grant = find_by_refresh_token(ctx.store, token)
    if grant is None or grant.revoked or grant.app_id != app.app_id or token in grant.spent:
        return _refused("Invalid refresh_token")
    if ctx.options["helpscout_single_use_refresh"] and token not in grant.reusable:
        grant.spent.add(token)
    return _issue(ctx, grant)


def seeded(sample_name: str, refresh_token: str, app: HelpScoutApp) -> HelpScoutAuthorization:
    """A kind sample's authorisation: consented already, its first refresh token reusable."""
    return HelpScoutAuthorization(
        authorization_id=f"hsauth-{sample_name}",
        app_id=app.app_id,
        user=app.user,
        code="",
        code_expires_at=0.0,
        code_used=True,
        refresh_token=refresh_token,
        chain={refresh_token: 0},
        label=sample_name,
        reusable={refresh_token},
    )


def find_by_refresh_token(store: Store, token: str) -> HelpScoutAuthorization | None:
    if not token:
        return None
    for grant in authorizations(store):
        if token in grant.chain:
            return grant
    return None


def refresh_label(store: Store, token: str) -> str | None:
    """``<authorization id>#rt<n>``: which token of which chain a request presented."""
    grant = find_by_refresh_token(store, token)
    return f"{grant.authorization_id}#rt{grant.chain[token]}" if grant else None


def user_of(store: Store, owner: str) -> tuple[HelpScoutUser, HelpScoutApp] | None:
    """The user and app behind an authorisation's access token (None if either is gone)."""
    grant = store.get(HelpScoutAuthorization.api, owner)
    if not isinstance(grant, HelpScoutAuthorization) or grant.revoked:
        return None
    app = store.get(HelpScoutApp.api, grant.app_id)
    if not isinstance(app, HelpScoutApp) or app.revoked:
        return None
    return grant.user, app
