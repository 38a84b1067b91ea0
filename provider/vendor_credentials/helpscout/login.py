"""Help Scout's Mailbox API app, as ``vendor-credentials login helpscout`` sees it."""

from __future__ import annotations

from collections.abc import Mapping

from ..core.errors import VendorError
from ..core.http import RetryAfter, Session
from ..login.app import AuthorizationCodeApp
from ..login.callback import LoginError


def _whoami(session: Session, origin: str, access_token: str) -> Mapping[str, str]:
    """``GET /v2/users/me`` with the new token: the user who authorised, and their company."""
    url = f"{origin}/v2/users/me"
    try:
        reply = session.request(
            "GET",
            url,
            endpoint=f"GET {url}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
    except VendorError as exc:
        raise LoginError(session.redactor(str(exc))) from None
    user = reply.json()
    if reply.status != 200 or not isinstance(user, dict) or not user.get("id"):
        raise LoginError(
            f"Help Scout did not say who authorised ({reply.endpoint} -> HTTP {reply.status})"
        )
    name = " ".join(str(user.get(k) or "") for k in ("firstName", "lastName")).strip()
    return {
        "user_id": str(user["id"]),
        "name": name,
        "email": str(user.get("email") or ""),
        "company_id": str(user.get("companyId") or ""),
        "role": str(user.get("role") or ""),
    }


def _describe(who: Mapping[str, str]) -> str:
    person = who.get("name") or f"user {who.get('user_id')}"
    email = f" <{who['email']}>" if who.get("email") else ""
    return (
        f"{person}{email}, user {who.get('user_id')}, role {who.get('role') or '?'}, "
        f"company {who.get('company_id') or '?'}"
    )


LOGIN_APP = AuthorizationCodeApp(
    vendor="helpscout",
    title="Help Scout",
    kind="helpscout.MailboxAuthorization",
    authorize_origin="https://secure.helpscout.net",
    authorize_path="/authentication/authorizeClientApplication",
    api_origin="https://api.helpscout.net",
    token_path="/v2/oauth2/token",
    secret_env="HELPSCOUT_APP_SECRET",
    client_id_label="App ID",
    client_secret_label="App Secret",
    redirect_setting="Your Profile > My Apps > (your app) > Redirection URL",
    retry_after=RetryAfter("X-RateLimit-Retry-After"),
    whoami=_whoami,
    describe=_describe,
)
