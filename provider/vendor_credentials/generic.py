"""Generic kinds: an API key or an OAuth2 client of a vendor nobody wrote a module for.

The user gives the URLs (``probe_url``, ``token_url``) instead of a module declaring hosts: they
must be https (plain http only to loopback), are checked offline in ``check``, each secret goes
only to its own URL's origin, redirects are never followed (``core/http.py``), and a preview sends
nothing to an origin missing from ``vendor-credentials:trustedOrigins`` (``url_fields``).
``identity_fields`` (output name -> RFC 6901 pointer) picks ``identity`` out of the JSON answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from .core import flows
from .core import inputs as i
from .core.http import RetryAfter, Session
from .core.kind import CredentialKind, Sample, Validation, common_error_fields
from .core.resource import credential_resource


class ApiKeyInputs(i.CredentialInputs):
    api_key: i.Secret
    probe_url: Annotated[i.HttpsUrl, i.REPLACES]
    auth: Literal["bearer", "basic", "header"] = "bearer"
    basic_user: Annotated[i.BasicUser | None, i.REPLACES, Field(validate_default=True)] = None
    basic_password: Annotated[i.Identifier | None, Field(validate_default=True)] = None
    header_name: Annotated[i.HeaderName | None, Field(validate_default=True)] = None
    identity_fields: i.IdentityFields = Field(default_factory=dict)
    base_url: i.NoBaseUrl = None

    _presentation = field_validator("basic_user", "basic_password", "header_name")(
        i.key_presentation_field
    )


class OAuth2ClientCredentialsInputs(i.CredentialInputs):
    token_url: Annotated[i.HttpsUrl, i.REPLACES]
    client_id: Annotated[i.Identifier, i.REPLACES]
    client_secret: i.Secret
    scopes: i.Scopes | None = None
    client_auth: Literal["basic", "body"] = "basic"
    probe_url: i.HttpsUrl | None = None
    identity_fields: i.IdentityFields = Field(default_factory=dict)
    base_url: i.NoBaseUrl = None


class GenericKind(CredentialKind):
    """What both generic kinds share: no declared hosts, standard Retry-After, common errors."""

    vendor = "generic"
    url_fields = ("probe_url", "token_url")
    retry_after = RetryAfter("Retry-After")
    rejected_statuses = frozenset({401, 403})
    # RFC 6749 5.2: the client may not have a token (any 4xx carrying one of these is a no).
    rejected_errors = frozenset({"invalid_client", "unauthorized_client", "invalid_scope"})
    fix_hint = "check the secret in stack config and that the URLs are the vendor's own"

    def error_fields(self, body: Any) -> tuple[str, str]:
        return common_error_fields(body)


# The samples' ways to present a key, and what their probe answers (emulator/generic.py).
_KEY_AS_USER = {"auth": "basic", "basic_password": "X"}  # key as user, fixed password
_KEY_AS_PASSWORD = {"auth": "basic", "basic_user": "ops@acme-demo.example/token"}  # key as password
_KEY_IN_HEADER = {"auth": "header", "header_name": "X-Api-Key"}
_FIELDS = {"identity_fields": {"account_id": "/account/id", "user_email": "/user/email"}}
_USER = {"email": "ops@acme-demo.example", "id": 7}


class ApiKeyKind(GenericKind):
    kind = "generic.ApiKey"
    title = "API key"
    type_name = "GenericApiKey"
    inputs = ApiKeyInputs
    documentation = """An API key of any vendor, proved by one authenticated ``GET probe_url``
    whose answer must be a JSON object.

    ``auth``: ``bearer`` (``Authorization: Bearer <key>``), ``header`` (the key as the value of
    ``header_name``, e.g. ``X-Api-Key``) or ``basic``: the key is the user name and
    ``basic_password`` (e.g. ``X``, or empty when unset) the password, or, with ``basic_user``
    (e.g. ``me@example.com/token``), the key is the password. 401/403 mean rejected.
    ``identity``: ``identity_fields``, RFC 6901 pointers into the answer. ``expires_at`` is empty.
    """
    samples = tuple(
        Sample(
            name=f"generic_{label}",
            inputs={"api_key": key, "probe_url": "{base_url}/generic/me", **auth, **_FIELDS},
            identity={"account_id": f"acct_{label}", "user_email": "ops@acme-demo.example"},
            vendor_data={"answer": {"account": {"id": f"acct_{label}"}, "user": _USER}},
            replace={"probe_url": "https://api.acme-demo.example/v2/me"},
        )
        for label, key, auth in (
            ("bearer", "gk_live_7Qe2v9XbN4mR8sT1wY6zA3cD5fH0jK2L", {}),
            ("basic_user", "gk_live_Hq8ZuP3nV6bC1xM9sD4fG7jK2lT5rW0y", _KEY_AS_USER),
            ("basic_password", "gk_live_Ns5Fw2Rk8Tq1Yz6Xc3Vb9Mh4Lj7Gd0Pa", _KEY_AS_PASSWORD),
            ("header", "gk_live_Zt4Ym9Wc2Ex7Rv1Qb6Un3Kp8Js5Hd0Gf", _KEY_IN_HEADER),
        )
    )

    def validate(self, spec: ApiKeyInputs, session: Session) -> Validation:
        extra = spec.model_dump(include={"basic_user", "basic_password", "header_name"})
        auth = flows.key_auth(spec.api_key, spec.auth, **extra)
        reply, body = flows.probe(self, session, spec.probe_url, auth, summary="rejected the key")
        return Validation(identity=flows.identity_from(self, reply, body, spec.identity_fields))


class OAuth2ClientCredentialsKind(GenericKind):
    kind = "generic.OAuth2ClientCredentials"
    title = "OAuth2 client"
    type_name = "GenericOAuth2ClientCredentials"
    inputs = OAuth2ClientCredentialsInputs
    documentation = """An OAuth2 client of any vendor, proved by the client credentials grant
    (RFC 6749 4.4) at ``token_url``, then, when ``probe_url`` is set, one ``GET`` of it with the
    issued token as Bearer.

    ``client_auth``: ``basic`` (HTTP Basic, the default) or ``body`` (form fields). 401/403 and
    ``invalid_client``, ``unauthorized_client``, ``invalid_scope`` mean rejected. ``identity``:
    client_id and ``identity_fields``, RFC 6901 pointers into the probe's answer (the token
    answer without ``probe_url``). ``expires_at`` is the token's (``expires_in``); it is not kept.
    """
    exchanges_token = True
    samples = (
        Sample(
            name="generic_oauth2",
            inputs={
                "token_url": "{base_url}/generic/oauth/token",
                "client_id": "acme-demo-reporting",
                "client_secret": "gcs_3Vn8Qw1Ze6Rt9Yu2Ip5As7Df0Gh4Jk8Lz",
                "scopes": ["reports:read"],
                "probe_url": "{base_url}/generic/oauth/me",
                "identity_fields": {"org_id": "/org/id", "org_name": "/org/name"},
            },
            identity={"client_id": "acme-demo-reporting", "org_id": "org_51d2", "org_name": "Acme"},
            vendor_data={
                "grants": ["reports:read", "reports:write"],
                "answer": {"org": {"id": "org_51d2", "name": "Acme"}, "client": "reporting"},
            },
            replace={"client_id": "another-client-id"},
        ),
    )

    def validate(self, spec: OAuth2ClientCredentialsInputs, session: Session) -> Validation:
        given = spec.model_dump(include={"client_id", "client_secret", "scopes", "client_auth"})
        token = flows.client_credentials(self, session, spec.token_url, **given)
        reply, body = token.reply, dict(token.body)
        if spec.probe_url:  # the issued token, as Bearer
            bearer = flows.Bearer(token.access_token)
            reply, body = flows.probe(self, session, spec.probe_url, bearer)
        identity = flows.identity_from(self, reply, body, spec.identity_fields)
        scopes = token.scopes if token.scopes is not None else tuple(sorted(set(spec.scopes or ())))
        return Validation({"client_id": spec.client_id, **identity}, scopes, token.expires_at)


ApiKey = credential_resource(ApiKeyKind)
OAuth2ClientCredentials = credential_resource(OAuth2ClientCredentialsKind)
