"""The audit's judgement: pure functions from stacks' credentials to findings, no I/O.

Finding codes (stable; the JSON report carries them):

============================  ========  =================================================
code                          severity  when
============================  ========  =================================================
``missing``                   warning   a credential is in some audited stacks, not others
``kind_mismatch``             error     one resource name is a different kind in two stacks
``invalid``                   error     status ``invalid`` (stored by a refresh, or a live
                                        check the vendor rejected)
``unknown_status``            warning   a status this version does not know
``no_api_access``             warning   valid credential, account without API access
``live_check_failed``         warning   ``--live`` could not get an answer from the vendor
``state_outdated``            info      ``--live``: the vendor accepts it, state says invalid
``region_mismatch``           warning   the same credential is in different regions
``scopes_mismatch``           info      granted scopes differ between stacks
``shared_secret``             error     one fingerprint in a production and a non-production
                                        stack (the same secret in both environments)
``fingerprints_incomparable`` warning   production and non-production fingerprints differ in
                                        scheme or key, so shared_secret cannot see them
                                        (``fingerprints.py``)
``stale_validation``          warning   not proved by the vendor for longer than --max-age
``expiring`` / ``expired``    warning / a secret that itself expires does so within
                              error     --expiry-window, or already did
============================  ========  =================================================

Short-lived exchanged tokens: for kinds that declare ``exchanges_token`` (OAuth2 client
credentials: minutes to days), ``expires_at`` is the expiry of the access token obtained during
the last validation, which was thrown away. The stored secret (App Secret, client secret) does
not expire, and every use runs the exchange again, so that expiry says nothing about the
credential: it is shown, never a finding. What matters for those kinds is whether the exchange
still works, which the ``stale_validation`` and ``invalid`` findings cover. Expiry findings apply
only to kinds whose stored secret is the bearer token itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from .fingerprints import incomparable_fingerprints
from .model import (
    SEVERITIES,
    Credential,
    Finding,
    Options,
    Row,
    Stack,
    format_duration,
    is_production,
)


def exchanges_token(kind: str) -> bool:
    """Whether a kind's ``expires_at`` belongs to a token exchanged during validation, which
    the next validation renews (its declaration says; a kind this version does not know is taken
    at its word)."""
    from ..core.registry import kind_for

    try:
        return kind_for(kind).exchanges_token
    except KeyError:
        return False


def login_fix(kind: str, reason: str) -> bool:
    """Whether a stored reason carries the kind's own fix (a broken refresh-token chain needs a
    new login, not a new secret in stack config)."""
    from ..core.registry import kind_for

    try:
        hint = str(getattr(kind_for(kind), "login_hint", ""))
    except KeyError:
        return False
    return bool(hint) and hint[1:40] in reason  # (its first letter may be capitalised)


def expiry_meaning(kind: str, credential: Credential) -> str:
    """What ``expires_at`` means for a credential: ``token``, ``credential`` or ``none``."""
    if credential.expires_at is None:
        return "none"
    return "token" if exchanges_token(kind) else "credential"


def rows(stacks: Sequence[Stack]) -> list[Row]:
    """Credentials grouped by (resource name, kind), in name order, one cell per stack."""
    by_key: dict[tuple[str, str], dict[str, Credential]] = defaultdict(dict)
    for stack in stacks:
        for cred in stack.credentials:
            by_key[(cred.name, cred.kind)][stack.name] = cred
    return [
        Row(name, kind, {s.name: by_key[(name, kind)].get(s.name) for s in stacks})
        for name, kind in sorted(by_key)
    ]


def checked_at(credential: Credential, stack: Stack) -> datetime | None:
    """The last time the vendor confirmed this credential's status.

    A refresh that found nothing changed keeps ``validated_at`` as it was (so refreshes show no
    diff), so a later successful, untargeted refresh of the stack counts too; a live check counts
    when it got an answer.
    """
    if credential.source == "live" and not credential.live_error:
        return credential.checked_at
    times = [t for t in (credential.validated_at, stack.last_refresh) if t is not None]
    return max(times) if times else None


def find(stacks: Sequence[Stack], options: Options, as_of: datetime) -> list[Finding]:
    """Every finding about these stacks, most severe first."""
    table = rows(stacks)
    found: list[Finding] = []
    found += _presence(table, [s.name for s in stacks])
    by_name = {s.name: s for s in stacks}
    for row in table:
        found += _status(row)
        found += _region(row)
        found += _scopes(row)
        found += _freshness(row, by_name, options, as_of)
        found += _expiry(row, options, as_of)
    found += _shared_secrets(stacks, options)
    found += incomparable_fingerprints(stacks, options)
    return sorted(
        found, key=lambda f: (SEVERITIES.index(f.severity), f.code, f.credential, f.stacks)
    )


def notes(stacks: Sequence[Stack], options: Options) -> list[str]:
    """Remarks that are not findings: checks that could not apply to these stacks."""
    said: list[str] = []
    prod = [s.name for s in stacks if is_production(s.name, options.prod_pattern)]
    if not prod or len(prod) == len(stacks):
        which = "none" if not prod else "all"
        said.append(
            f"{which} of the stacks match --prod-pattern '{options.prod_pattern}': secrets shared "
            "between production and other environments could not be checked"
        )
    for stack in stacks:
        if not stack.credentials:
            said.append(f"stack '{stack.name}' holds no vendor credentials")
    return said


def _stacks_text(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _presence(table: Sequence[Row], order: Sequence[str]) -> list[Finding]:
    kinds_by_name: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for row in table:
        kinds_by_name[row.name][row.kind] = [s for s in order if row.cells[s] is not None]
    found: list[Finding] = []
    for name, kinds in kinds_by_name.items():
        holding = {s for present in kinds.values() for s in present}
        absent = tuple(s for s in order if s not in holding)
        kind_text = " / ".join(sorted(kinds))
        if len(kinds) > 1:
            where = "; ".join(f"{kind} in {_stacks_text(s)}" for kind, s in sorted(kinds.items()))
            found.append(
                Finding(
                    "error",
                    "kind_mismatch",
                    name,
                    kind_text,
                    tuple(s for s in order if s in holding),
                    f"{name} is a different kind of credential per stack ({where}): "
                    "one name should mean one credential everywhere",
                )
            )
        if absent:
            present = [s for s in order if s in holding]
            found.append(
                Finding(
                    "warning",
                    "missing",
                    name,
                    kind_text,
                    absent,
                    f"{name} ({kind_text}) is in {_stacks_text(present)} but missing from "
                    f"{_stacks_text(absent)}",
                )
            )
    return found


def _status(row: Row) -> list[Finding]:
    found: list[Finding] = []
    for stack, cred in row.cells.items():
        if cred is None:
            continue
        label = f"{row.name} ({row.kind})"
        if cred.live_error:
            found.append(
                Finding(
                    "warning",
                    "live_check_failed",
                    row.name,
                    row.kind,
                    (stack,),
                    f"{label} could not be checked live in {stack}: {cred.live_error}",
                )
            )
        reason = f": {cred.status_reason}" if cred.status_reason else ""
        own_fix = login_fix(row.kind, cred.status_reason)
        if own_fix:  # the reason already says what to run: name the stack in it
            reason = reason.replace("--stack <stack>", f"--stack {stack}")
        if cred.status == "invalid":
            if cred.source == "live" and not cred.live_error:
                extra = (
                    "; state still says valid: run `pulumi refresh` on it"
                    if cred.stored_status == "valid"
                    else ""
                )
                text = f"{label} is rejected by the vendor in {stack} (live check){reason}{extra}"
            else:
                text = f"{label} is invalid in {stack} (found by a refresh){reason}"
            found.append(
                Finding(
                    "error",
                    "invalid",
                    row.name,
                    row.kind,
                    (stack,),
                    text
                    if own_fix
                    else text + "; put a working secret in stack config, then `pulumi up`",
                )
            )
        elif cred.status not in ("valid", "invalid"):
            found.append(
                Finding(
                    "warning",
                    "unknown_status",
                    row.name,
                    row.kind,
                    (stack,),
                    f"{label} has status '{cred.status}' in {stack}, which this version does "
                    "not know: upgrade pulumi-vendor-credentials",
                )
            )
        elif cred.source == "live" and cred.stored_status == "invalid":
            found.append(
                Finding(
                    "info",
                    "state_outdated",
                    row.name,
                    row.kind,
                    (stack,),
                    f"{label} is accepted by the vendor again in {stack} (live check) but state "
                    "says invalid: run `pulumi refresh` on it",
                )
            )
        if cred.status == "valid" and cred.identity.get("api_access") == "none":
            found.append(
                Finding(
                    "warning",
                    "no_api_access",
                    row.name,
                    row.kind,
                    (stack,),
                    f"{label} is valid in {stack} but its account has no API access: calls "
                    "after the token exchange will fail with 403",
                )
            )
    return found


def _differ(values: dict[str, str]) -> str | None:
    """'a in x; b in y' when the stacks hold different values, else None."""
    if len(set(values.values())) < 2:
        return None
    by_value: dict[str, list[str]] = defaultdict(list)  # in the order the stacks were given
    for stack, value in values.items():
        by_value[value].append(stack)
    return "; ".join(f"{v or 'none'} in {_stacks_text(s)}" for v, s in by_value.items())


def _region(row: Row) -> list[Finding]:
    regions = {s: c.region for s, c in row.cells.items() if c is not None and c.region}
    differ = _differ(regions)
    if differ is None:
        return []
    return [
        Finding(
            "warning",
            "region_mismatch",
            row.name,
            row.kind,
            tuple(regions),
            f"{row.name} ({row.kind}) is in different regions ({differ}): the environments "
            "should use the same region",
        )
    ]


def _scopes(row: Row) -> list[Finding]:
    granted = {
        s: " ".join(c.scopes)
        for s, c in row.cells.items()
        if c is not None and c.status == "valid" and c.scopes
    }
    differ = _differ(granted)
    if differ is None:
        return []
    return [
        Finding(
            "info",
            "scopes_mismatch",
            row.name,
            row.kind,
            tuple(granted),
            f"{row.name} ({row.kind}) was granted different scopes ({differ}): check the "
            "client's scopes at the vendor",
        )
    ]


def _freshness(
    row: Row, stacks: dict[str, Stack], options: Options, as_of: datetime
) -> list[Finding]:
    found: list[Finding] = []
    for stack, cred in row.cells.items():
        if cred is None or cred.status != "valid":
            continue
        proved = checked_at(cred, stacks[stack])
        if proved is not None and as_of - proved <= options.max_age:
            continue
        age = (
            "never" if proved is None else f"{format_duration(as_of - proved)} ago ({_day(proved)})"
        )
        found.append(
            Finding(
                "warning",
                "stale_validation",
                row.name,
                row.kind,
                (stack,),
                f"{row.name} ({row.kind}) in {stack} was last proved by the vendor {age}, "
                f"longer than {format_duration(options.max_age)}: run `pulumi refresh` on the "
                "stack (or audit with --live)",
            )
        )
    return found


def _expiry(row: Row, options: Options, as_of: datetime) -> list[Finding]:
    found: list[Finding] = []
    for stack, cred in row.cells.items():
        if cred is None or cred.status != "valid" or cred.expires_at is None:
            continue
        if expiry_meaning(row.kind, cred) != "credential":
            continue  # the exchanged token's expiry: see the module docstring
        left = cred.expires_at - as_of
        label = f"{row.name} ({row.kind})"
        if left.total_seconds() <= 0:
            found.append(
                Finding(
                    "error",
                    "expired",
                    row.name,
                    row.kind,
                    (stack,),
                    f"{label} in {stack} expired {format_duration(left)} ago "
                    f"({_day(cred.expires_at)}): renew it and `pulumi up`",
                )
            )
        elif left <= options.expiry_window:
            found.append(
                Finding(
                    "warning",
                    "expiring",
                    row.name,
                    row.kind,
                    (stack,),
                    f"{label} in {stack} expires in {format_duration(left)} "
                    f"({_day(cred.expires_at)}): renew it before then",
                )
            )
    return found


def _shared_secrets(stacks: Sequence[Stack], options: Options) -> list[Finding]:
    holders: dict[str, list[tuple[str, Credential]]] = defaultdict(list)
    for stack in stacks:
        for cred in stack.credentials:
            if cred.fingerprint.startswith("fp"):
                holders[cred.fingerprint].append((stack.name, cred))
    found: list[Finding] = []
    for fingerprint, held in sorted(holders.items()):
        prod = [s for s, _ in held if is_production(s, options.prod_pattern)]
        other = [s for s, _ in held if not is_production(s, options.prod_pattern)]
        if not prod or not other:
            continue
        names = sorted({c.name for _, c in held})
        kinds = sorted({c.kind for _, c in held})
        stacks_of: dict[str, list[str]] = defaultdict(list)
        for holder, cred in held:
            stacks_of[cred.name].append(holder)
        where = "; ".join(f"{name} in {_stacks_text(s)}" for name, s in stacks_of.items())
        found.append(
            Finding(
                "error",
                "shared_secret",
                ", ".join(names),
                " / ".join(kinds),
                tuple(dict.fromkeys(s for s, _ in held)),
                f"{where}: the same secret ({fingerprint}) in production and non-production; "
                "give each environment its own secret and rotate this one",
            )
        )
    return found


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
