"""Validating previews: the vendor round trip runs in ``create``/``update`` with ``preview=true``.

The engine calls ``check`` for one resource at a time but runs the preview's create and update
steps on its parallel step executor (``pkg/resource/deploy/step_executor.go``), and only for a
provider whose ``Configure`` answered ``supportsPreview`` (``provider_plugin.go``). Validating
here makes a preview of N new credentials cost about what ``up`` costs.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..core.errors import InputError
from ..core.inputs import UNKNOWN
from ..core.provider import OUTPUT_NAMES, REQUESTED_PREFIX, CredentialProvider, ProviderError
from .kinds import KindInfo, camel


def validate_for_preview(
    provider: CredentialProvider, news: dict[str, Any], olds: dict[str, Any] | None
) -> None:
    """Prove a new or changed credential; a rejection fails the preview with the vendor's reason,
    a transient error does not (``up`` tries again). Unknown inputs skip the round trip."""
    if not provider.preview_validation_enabled or not provider.declaration.validates_in_preview:
        return
    inputs = provider.inputs_of(news)
    if UNKNOWN in repr(inputs):
        return
    if olds is not None and provider.inputs_of(olds) == inputs:
        return
    try:
        spec = provider._spec(news)
    except (ValidationError, InputError):
        return  # check has already reported it, field by field
    failure = provider._check_with_vendor(spec, news)
    if failure is not None:
        reason = failure.reason
        if failure.property and reason.startswith(failure.property):
            reason = camel(failure.property) + reason[len(failure.property) :]
        raise ProviderError(f"{provider.kind}: preview validation failed: {reason}")


def preview_outputs(info: KindInfo, news: dict[str, Any]) -> dict[str, Any]:
    """The outputs a preview can promise: the inputs, the kind, and unknowns for the results."""
    outs: dict[str, Any] = {}
    for name in info.input_names:
        if news.get(name) is not None:
            outs[REQUESTED_PREFIX + name if name in OUTPUT_NAMES else name] = news[name]
    outs.setdefault("base_url", "")
    outs.update(vendor=info.vendor, kind=info.kind)
    for name in OUTPUT_NAMES:
        outs.setdefault(name, UNKNOWN)
    return outs
