"""Stack config the provider reads (``vendor-credentials:<name>``), and the error it raises.

Only the plugin process calls ``configure``; the values live on the provider class there and are
never pickled into state.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ConfigureRequest

from .http import HttpSettings

CONFIG_NAMESPACE = "vendor-credentials"


class ProviderError(Exception):
    """The one exception type that leaves the provider: a redacted, actionable message."""


def settings_from(req: ConfigureRequest) -> HttpSettings:
    def get(name: str) -> Any:
        return req.config.get(f"{CONFIG_NAMESPACE}:{name}")

    defaults = HttpSettings()
    values: dict[str, Any] = {}
    for name, attr, cast in (
        ("connectTimeout", "connect_timeout", float),
        ("readTimeout", "read_timeout", float),
        ("maxAttempts", "max_attempts", int),
        ("maxRetryWait", "max_total_wait", float),
        ("caBundle", "ca_bundle", str),
    ):
        raw = get(name)
        if raw is None or raw == "":
            continue
        try:
            values[attr] = cast(raw)
        except (TypeError, ValueError):
            raise ProviderError(
                f"stack config {CONFIG_NAMESPACE}:{name} must be a {cast.__name__}"
            ) from None
    return HttpSettings(**{**defaults.__dict__, **values})


def preview_validation_enabled(req: ConfigureRequest) -> bool:
    """``vendor-credentials:validateOnPreview`` (default true)."""
    raw = req.config.get(f"{CONFIG_NAMESPACE}:validateOnPreview")
    return str(raw).strip().lower() not in ("false", "0", "no", "off")
