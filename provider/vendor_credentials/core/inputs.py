"""Offline input rules shared by every vendor: pydantic types with messages that say what to fix.

A vendor's input model subclasses ``CredentialInputs`` and uses the annotated types below. The
rules are the ones that protect the request itself: a secret with white space around it, an
account name interpolated into a host name, a ``base_url`` that would send the secret elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from .errors import InputError

# Pulumi's Python SDK value for "not known yet" during preview (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

MAX_SECRET_LEN = 4096
MAX_ID_LEN = 256
MAX_DESCRIPTION_LEN = 1024
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _is_host_name(host: str) -> bool:
    """A DNS name (letters, digits, inner hyphens; 63 per label, 253 in all) or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _token_text(value: str, max_len: int) -> str:
    if value == "":
        raise ValueError(
            "is empty: set it (for a secret: `pulumi config set --secret <key> <value>`)"
        )
    if value != value.strip():
        raise ValueError(
            "has leading or trailing white space: paste it again without spaces or newlines"
        )
    if len(value) > max_len:
        raise ValueError(f"is {len(value)} characters long; at most {max_len} are accepted")
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise ValueError(
            "contains white space, control or non-ASCII characters: "
            "copy it again from the vendor's page"
        )
    return value


def _secret(value: str) -> str:
    return _token_text(value, MAX_SECRET_LEN)


def _identifier(value: str) -> str:
    return _token_text(value, MAX_ID_LEN)


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            "must be the account's subdomain, one DNS label: lower-case letters, digits and "
            "inner hyphens, 1-63 characters (e.g. 'acme' for acme.vendor.example)"
        )
    return value


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION_LEN:
        raise ValueError(f"is {len(value)} characters long; at most {MAX_DESCRIPTION_LEN}")
    return value


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses, the only hosts plain http is allowed to."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_url(value: str, fix: str, *, origin_only: bool) -> str:
    """A URL a secret may be sent to: https (http only to loopback), a real host, no user info,
    no fragment, and (``origin_only``) no path or query either. Returns it normalised."""
    if value != value.strip() or not value:
        raise ValueError(f"is empty or has white space around it: {fix}")
    if not value.isascii() or any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in value):
        raise ValueError(f"contains white space, control, backslash or non-ASCII characters: {fix}")
    if "://" not in value:
        raise ValueError(
            "has no scheme: write https://host[:port], or http://host:port for a loopback "
            "host (e.g. http://127.0.0.1:8080)"
        )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(f"is not a valid URL: {fix}") from None
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"must use https (got scheme '{parts.scheme}'): {fix}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(f"must not carry credentials (user:password@): {fix}")
    if parts.fragment or value.endswith("#"):
        raise ValueError(f"must not have a fragment: {fix}")
    if origin_only and (parts.path not in ("", "/") or parts.query or value.endswith("?")):
        raise ValueError(f"must not have a path, query or fragment: {fix}")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"has no host: {fix}")
    if not _is_host_name(host):
        raise ValueError(f"has a host that is not a DNS name or an IP address: {fix}")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            "must use https: plain http is only allowed to loopback hosts (127.0.0.1, localhost)"
        )
    netloc_host = f"[{host}]" if ":" in host else host
    origin = f"{parts.scheme}://{netloc_host}" + (f":{port}" if port is not None else "")
    if origin_only:
        return origin
    return origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _base_url(value: str) -> str:
    fix = (
        "give an origin only, like https://gateway.example.com or https://gateway.example.com:8443"
    )
    return _checked_url(value, fix, origin_only=True)


def _https_url(value: str) -> str:
    return _checked_url(
        value, "give a full URL like https://api.example.com/v1/me", origin_only=False
    )


def _no_base_url(value: str | None) -> str | None:
    if value is not None:
        raise ValueError("is not used by this kind: give its full URLs (probe_url, token_url)")
    return value


_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value) or value.lower() in _RESERVED_HEADERS:
        raise ValueError("must be an HTTP header name like X-Api-Key (letters, digits, '-')")
    return value


def _basic_user(value: str) -> str:
    value = _identifier(value)
    if ":" in value:
        raise ValueError("must not contain ':' (HTTP Basic separates user and password with it)")
    return value


_OUTPUT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _identity_fields(value: dict[str, str]) -> dict[str, str]:
    if len(value) > 32:
        raise ValueError("names at most 32 fields")
    for name, pointer in value.items():
        if not _OUTPUT_NAME.fullmatch(name):
            raise ValueError(f"names must be lower-case words like user_id (got {name[:40]!r})")
        if not pointer.startswith("/") or len(pointer) > 256 or not pointer.isprintable():
            raise ValueError(
                f"{name}: must be a JSON pointer (RFC 6901) into the answer, like /user/id"
            )
    return value


def key_presentation_field(cls: Any, value: str | None, info: ValidationInfo) -> str | None:
    """A ``field_validator`` for inputs saying how an API key is presented (``auth``): basic_user
    or basic_password (not both) go with auth="basic", header_name with "header" (required)."""
    auth, name = info.data.get("auth"), info.field_name
    wanted = "header" if name == "header_name" else "basic"
    if value is not None and auth != wanted:  # auth None: it failed itself, so this cannot hold
        raise ValueError(f"is only used with auth='{wanted}'")
    if auth == "header" and name == "header_name" and value is None:
        raise ValueError("is required with auth='header': the header's name, e.g. X-Api-Key")
    if name == "basic_password" and value is not None and info.data.get("basic_user"):
        raise ValueError("or basic_user, not both: the key is the other half of the pair")
    return value


class _Marker:
    """A field marker read from ``Annotated`` metadata when an input model is defined."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# A secret: kept secret in state, registered for redaction, fingerprinted (``Secret`` has it).
SECRET = _Marker("SECRET")
# Names another credential: a change replaces the resource (``Annotated[<type>, REPLACES]``).
REPLACES = _Marker("REPLACES")


def _scope_list(value: list[str]) -> list[str]:
    for scope in value:
        if not scope or any(c.isspace() for c in scope) or not scope.isascii():
            raise ValueError("each scope must be one non-empty word, e.g. 'account:read'")
    return value


def normalized_origin(value: str) -> str:
    """An origin as ``base_url`` accepts and stores it; ``ValueError`` saying what to fix."""
    return _base_url(value)


Secret = Annotated[str, AfterValidator(_secret), SECRET]
Identifier = Annotated[str, AfterValidator(_identifier)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
BaseUrl = Annotated[str, AfterValidator(_base_url)]
Description = Annotated[str, AfterValidator(_description)]
Scopes = Annotated[list[str], AfterValidator(_scope_list)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
HeaderName = Annotated[str, AfterValidator(_header_name)]
BasicUser = Annotated[str, AfterValidator(_basic_user)]
IdentityFields = Annotated[dict[str, str], AfterValidator(_identity_fields)]
NoBaseUrl = Annotated[str | None, AfterValidator(_no_base_url)]


class CredentialInputs(BaseModel):
    """Inputs every credential has. Subclasses add the vendor's own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # Fields holding secret material and fields naming another credential, collected from the
    # SECRET and REPLACES markers when a subclass is defined (never declared by hand).
    secret_fields: ClassVar[tuple[str, ...]] = ()
    replace_fields: ClassVar[tuple[str, ...]] = ()

    description: Description = ""
    base_url: BaseUrl | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for attr in ("secret_fields", "replace_fields"):
            if attr in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__}.{attr}: mark the fields instead (Secret, "
                    "Annotated[..., REPLACES]) so a name cannot drift from its field"
                )
        fields = cls.model_fields.items()
        cls.secret_fields = tuple(n for n, f in fields if SECRET in f.metadata)
        cls.replace_fields = tuple(n for n, f in fields if REPLACES in f.metadata)
        for name in cls.secret_fields:
            if fields and cls.model_fields[name].annotation is not str:
                raise TypeError(f"{cls.__name__}.{name}: a secret must be a required string")

    def secrets(self) -> list[str]:
        return [str(getattr(self, name)) for name in self.secret_fields]


InputsT = TypeVar("InputsT", bound=CredentialInputs)


def _failure_text(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not an input of this resource"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "literal_error":
        return f"must be one of {error['ctx']['expected']}"
    if kind in ("string_type", "str_type"):
        return "must be a string"
    if kind in ("list_type",):
        return "must be a list of strings"
    return str(error["msg"])


def _suggestion(model: type[CredentialInputs], field: str, known: dict[str, Any]) -> str:
    """For a choice given in the wrong case (region="EU"): "; did you mean 'eu'?"."""
    info = model.model_fields.get(field)
    value = known.get(field)
    if info is None or not isinstance(value, str) or get_origin(info.annotation) is not Literal:
        return ""
    matches = [c for c in get_args(info.annotation) if str(c).lower() == value.strip().lower()]
    return f"; did you mean '{matches[0]}'?" if matches else ""


def input_failures(model: type[CredentialInputs], data: dict[str, Any]) -> list[tuple[str, str]]:
    """Offline validation: one ``(field, reason)`` per bad field; unknown (preview) values pass.

    Reasons never quote the value, so a secret cannot leak through a check failure.
    """
    unknown = {k for k, v in data.items() if v == UNKNOWN}
    known = {k: v for k, v in data.items() if k not in unknown and v is not None}
    try:
        model.model_validate(known)
    except ValidationError as exc:
        failures: dict[str, str] = {}
        for error in exc.errors(include_input=False, include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            if field in unknown or field in failures:
                continue
            failures[field] = f"{field} {_failure_text(error)}{_suggestion(model, field, known)}"
        return list(failures.items())
    return []


def spec_of(model: type[InputsT], data: dict[str, Any]) -> InputsT:
    """The validated inputs, or an ``InputError`` naming each bad field and never a value.

    ``str()`` of pydantic's ``ValidationError`` quotes the input (``input_value='...'``, the
    head and tail of a secret), so it must never become a message: this is the one way to
    validate inputs outside ``check``.
    """
    failures = input_failures(model, data)
    if failures:
        reasons = "; ".join(reason for _, reason in failures)
        raise InputError(f"the inputs do not validate: {reasons}")
    try:
        return model.model_validate(data)
    except ValidationError:
        raise InputError("the inputs do not validate") from None
