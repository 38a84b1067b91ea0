"""Provider configuration: the same ``vendor-credentials:`` keys the dynamic provider reads.

The engine hands them over as ``variables`` (``vendor-credentials:readTimeout`` -> string) and,
for providers with a schema, as typed ``args`` (``readTimeout`` -> number); both are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.provider import CONFIG_NAMESPACE, ProviderError, _settings_from
from ..core.trust import CONFIG_KEY as TRUSTED_ORIGINS
from ..core.trust import parse_trusted_origins
from .kinds import PACKAGE

DEFAULT_WORKERS = 16  # vendor calls in flight at once (the dynamic provider's server has 4)
MAX_WORKERS = 256


@dataclass(frozen=True)
class Setting:
    """One provider setting, as the schema documents it."""

    name: str
    type: str  # schema type: number, integer, string, boolean
    description: str
    secret: bool = False  # the schema marks it secret: SDKs and `pulumi config` keep it encrypted


SETTINGS: tuple[Setting, ...] = (
    Setting("connectTimeout", "number", "Seconds to wait for a TCP/TLS connection (default 5)."),
    Setting("readTimeout", "number", "Seconds to wait for a vendor's answer (default 15)."),
    Setting("maxAttempts", "integer", "Attempts per request on 429/5xx/network errors."),
    Setting("maxRetryWait", "number", "Seconds one request may spend waiting between retries."),
    Setting("caBundle", "string", "Path of a PEM CA bundle to trust (e.g. a TLS proxy's)."),
    Setting(
        "validateOnPreview",
        "boolean",
        "Prove new and changed credentials with the vendor during `pulumi preview` (default "
        "true); false keeps previews offline.",
    ),
    Setting(
        "trustedOrigins",
        "string",
        "Origins (comma-separated, or a JSON list) a preview may send credentials to besides "
        "the vendors' own hosts; a credential whose baseUrl is not listed is validated by `up`.",
    ),
    Setting(
        "fingerprintKey",
        "string",
        "Team key of the credentials' fingerprints (HMAC-SHA256): the same value in every stack "
        "whose fingerprints the audit should compare. Unset: a public key (a fingerprint then "
        "confirms a guess of the secret).",
        secret=True,
    ),
    Setting(
        "workers",
        "integer",
        f"Vendor validations this plugin runs at once (default {DEFAULT_WORKERS}).",
    ),
)


def namespaced(variables: Mapping[str, str], args: Mapping[str, Any]) -> dict[str, Any]:
    """``vendor-credentials:<name>`` -> value, from typed args first, then raw variables."""
    config: dict[str, Any] = dict(variables)
    for name, value in args.items():
        if value is not None and value != "":
            config[f"{PACKAGE}:{name}"] = value
    return config


def workers_of(config: Mapping[str, Any]) -> int:
    """The worker pool size; a clear error for anything but a whole number in range."""
    raw = config.get(f"{CONFIG_NAMESPACE}:workers")
    if raw is None or raw == "":
        return DEFAULT_WORKERS
    try:
        count = int(str(raw).strip())
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_WORKERS:
        raise ProviderError(
            f"stack config {CONFIG_NAMESPACE}:workers must be a whole number from 1 to "
            f"{MAX_WORKERS}"
        )
    return count


def config_failures(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(setting, reason)`` for each value the provider could not use (offline)."""
    from pulumi.dynamic import Config, ConfigureRequest

    failures: list[tuple[str, str]] = []
    try:
        _settings_from(ConfigureRequest(Config(dict(config), PACKAGE)))
    except ProviderError as exc:
        name = str(exc).split(":", 2)[1].split()[0] if ":" in str(exc) else ""
        failures.append((name, str(exc)))
    try:
        workers_of(config)
    except ProviderError as exc:
        failures.append(("workers", str(exc)))
    try:
        parse_trusted_origins(config.get(TRUSTED_ORIGINS))
    except ValueError as exc:
        failures.append(("trustedOrigins", f"stack config {exc}"))
    return failures
