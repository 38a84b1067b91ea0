"""Which origins a preview may send a secret to: the vendors' own hosts, and the origins listed
in stack config ``vendor-credentials:trustedOrigins``.

A pull request can change ``base_url`` (or a generic kind's ``probe_url``/``token_url``) in stack
config; its preview runs before anyone reviewed it. So a preview proves a credential only when
every origin its inputs chose is trusted (no ``base_url``: the vendor's own hosts); otherwise it
says so and leaves the proof to ``pulumi up``.

``trustedOrigins`` is a JSON list of origins (``pulumi config set --path
'vendor-credentials:trustedOrigins[0]' https://gateway.example.com``) or one string of origins
separated by commas or white space; each is normalised like ``base_url``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

CONFIG_KEY = "vendor-credentials:trustedOrigins"


def parse_trusted_origins(raw: Any) -> frozenset[str]:
    """The origins of the setting (empty when unset); ``ValueError`` naming a bad entry."""
    from .inputs import normalized_origin
    from .redact import safe_url, url_redactor

    if raw is None or raw == "":
        return frozenset()
    entries: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        entries = _json_list(text) if text.startswith("[") else re.split(r"[\s,]+", text)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ValueError(f"{CONFIG_KEY} must be a list of origins or a comma-separated string")
    origins: set[str] = set()
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            origins.add(normalized_origin(entry))
        except ValueError as exc:
            shown = safe_url(entry)  # user info and query values masked
            raise ValueError(f"{CONFIG_KEY}: '{shown}' {url_redactor(entry)(str(exc))}") from None
    return frozenset(origins)


def _json_list(text: str) -> Any:
    """A value that starts like a JSON list; a bad one says how to write it (not the parser's
    "Expecting value: line 1 column 2")."""
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(
            f"{CONFIG_KEY} starts with '[' but is not a JSON list of quoted origins: write "
            f"""'["https://gw.example.com"]', or one comma-separated string, or set entries """
            f"with `pulumi config set --path '{CONFIG_KEY}[0]' https://gw.example.com`"
        ) from None


def preview_may_send(chosen: Iterable[str], trusted: frozenset[str]) -> bool:
    """True when a preview may send the credential: every origin its inputs chose (``base_url``,
    a generic kind's URLs) is trusted; none chosen means the vendor's own hosts."""
    return all(origin in trusted for origin in chosen)


def skipped_message(origin: str, field: str = "base_url") -> str:
    """What the preview says when it does not send a credential to ``origin`` (from ``field``)."""
    from .redact import safe_url

    return (
        f"preview did not validate this credential: {field} {safe_url(origin)} is not the "
        f"vendor's own host and not in {CONFIG_KEY} (a pull request could point it anywhere); "
        "`pulumi up` validates it. Trust it with `pulumi config set "
        f"{CONFIG_KEY} {safe_url(origin)}`"
    )


def warn_if_untrusted(resource: Any, urls: Mapping[str, Any]) -> None:
    """In a preview, tell the user (in the preview's own output) that this credential will not
    be sent to the origin of one of its ``urls`` (input name -> value, maybe an Output): the
    provider's check skips it without a word the user sees."""
    import pulumi

    from .inputs import normalized_origin
    from .kind import origin_of

    config = pulumi.Config("vendor-credentials")
    if str(config.get("validateOnPreview")).strip().lower() in ("false", "0", "no", "off"):
        return
    try:
        trusted = parse_trusted_origins(config.get("trustedOrigins"))
    except ValueError:
        return  # the provider fails with the reason

    def warn(field: str, url: Any) -> None:
        try:
            origin = normalized_origin(origin_of(url)) if isinstance(url, str) and url else ""
        except ValueError:
            return  # check reports the bad URL
        if origin and not preview_may_send([origin], trusted):
            pulumi.log.warn(skipped_message(origin, field), resource=resource)

    for field, url in urls.items():
        pulumi.Output.from_input(url).apply(functools.partial(warn, field))
