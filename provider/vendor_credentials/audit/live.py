"""``--live``: validate each credential against its vendor again, in this process, writing nothing.

The inputs come from the stack's decrypted outputs (``pulumi stack export --show-secrets``),
read and proved by the provider's own code (``CredentialProvider.inputs_of`` and ``prove``), with
the same ``Session`` and ``Redactor`` as a refresh. Only non-secret results leave this
module: status, redacted reason, identity, scopes and times. State is never written: run
``pulumi refresh`` to store what the live check saw.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .model import Credential, Stack, region_of

NOT_PROVED = (
    "not proved: would rotate the refresh token (its access token has expired, and the audit "
    "writes no state); `pulumi refresh --skip-preview` or `pulumi up` renews it"
)
MAX_WORKERS = 8  # concurrent vendor checks; the HTTP client is shared and thread-safe


def check_live(
    stacks: Sequence[tuple[Stack, Mapping[str, Mapping[str, Any]]]],
    allowed_origins: Collection[str] = (),
) -> list[Stack]:
    """Each stack with every credential replaced by the result of a fresh vendor check."""
    jobs = [
        (stack_index, cred, revealed.get(cred.urn) or {})
        for stack_index, (stack, revealed) in enumerate(stacks)
        for cred in stack.credentials
    ]
    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        checked = list(pool.map(lambda job: check_one(job[1], job[2], allowed_origins), jobs))
    result: list[Stack] = []
    for stack_index, (stack, _) in enumerate(stacks):
        mine = tuple(c for (i, _, _), c in zip(jobs, checked, strict=True) if i == stack_index)
        result.append(replace(stack, credentials=mine))
    return result


def check_one(
    cred: Credential, outputs: Mapping[str, Any], allowed_origins: Collection[str] = ()
) -> Credential:
    """One credential checked against its vendor now; never raises for a vendor's answer.

    ``base_url`` is read back from state, where anyone who can write state (without the
    passphrase) can change it: the secret goes only to the vendor's own hosts, or to an origin
    the operator allowed on the command line (``--allow-origin``).
    """
    from ..core.carry import RotationDeferred
    from ..core.errors import CredentialRejected, VendorCredentialsError
    from ..core.inputs import input_failures
    from ..core.provider import CredentialProvider
    from ..core.redact import Redactor
    from ..core.registry import kind_for

    now = datetime.now(UTC)
    base = replace(cred, source="live", stored_status=cred.status, checked_at=now)
    try:
        model = kind_for(cred.kind).inputs
    except KeyError as exc:
        return replace(base, live_error=str(exc.args[0]))
    provider = CredentialProvider(cred.kind)
    data = provider.inputs_of(dict(outputs))  # read back exactly as a refresh reads them
    failures = input_failures(model, data)  # reasons never quote a value
    if failures:
        reasons = "; ".join(reason for _, reason in failures)
        return replace(base, live_error=f"the inputs in state do not validate ({reasons})")
    spec = model.model_validate(data)
    refused = sorted(kind_for(cred.kind).chosen_origins(spec) - set(allowed_origins))
    if refused:
        return replace(base, live_error=refused_origin(refused[0]))
    redact = Redactor(spec.secrets())
    carry = provider.carry_for(dict(outputs), may_rotate=False)  # the audit writes nothing
    try:
        validation = provider.prove(spec, redact, carry)
    except CredentialRejected as rejected:
        return replace(base, status="invalid", status_reason=redact(rejected.reason))
    except RotationDeferred:
        return replace(base, live_error=NOT_PROVED)
    except VendorCredentialsError as exc:
        return replace(base, live_error=redact(str(exc)))
    except Exception as exc:  # a bug of ours: name it, never echo arbitrary text unredacted
        return replace(base, live_error=redact(f"internal error ({type(exc).__name__}: {exc})"))
    identity = {str(k): str(v) for k, v in sorted(validation.identity.items())}
    return replace(
        base,
        status="valid",
        status_reason="",
        identity=identity,
        region=region_of(cred.kind, identity, cred.region),
        scopes=tuple(sorted(validation.scopes)),
        validated_at=validation.validated_at.replace(microsecond=0),
        expires_at=validation.expires_at.replace(microsecond=0) if validation.expires_at else None,
    )


def refused_origin(base_url: str) -> str:
    """Why a credential was not sent to an origin stored in state (``base_url``, a URL input)."""
    from ..core.redact import safe_url

    shown = safe_url(base_url)
    return (
        f"not sent: its stored base_url {shown} is not the vendor's own host (state can be "
        f"changed without the passphrase); if you trust it, run again with --allow-origin {shown}"
    )
