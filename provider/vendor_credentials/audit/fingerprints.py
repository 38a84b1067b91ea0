"""The ``fingerprints_incomparable`` finding: the shared-secret check never misses silently.

Two fingerprints are compared only when scheme and key id match (``core/fingerprint.py``): a
secret shared by stacks whose fingerprints use different keys, or one still holding the old
``fp1`` scheme, cannot be found. This finding names those stacks and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from ..core.fingerprint import CONFIG_KEY, describe_family, family
from .model import Finding, Options, Stack, is_production

CODE = "fingerprints_incomparable"


def families(stack: Stack) -> set[str]:
    """The fingerprint families (scheme and key id) a stack's credentials hold."""
    return {family(c.fingerprint) for c in stack.credentials if family(c.fingerprint)}


def incomparable_fingerprints(stacks: Sequence[Stack], options: Options) -> list[Finding]:
    """One finding when some production / non-production pair of stacks cannot be compared."""
    held = {s.name: families(s) for s in stacks}
    prod = [s.name for s in stacks if is_production(s.name, options.prod_pattern)]
    other = [s.name for s in stacks if s.name not in prod]
    blind = [(p, o) for p, o in product(prod, other) if len(held[p] | held[o]) > 1]
    if not blind:
        return []
    involved = tuple(s.name for s in stacks if any(s.name in pair for pair in blind))
    said = "; ".join(
        f"{name}: {', '.join(describe_family(f) for f in sorted(held[name]))}" for name in involved
    )
    return [
        Finding(
            "warning",
            CODE,
            "(all)",
            "",
            involved,
            f"fingerprints cannot be compared ({said}), so a secret shared between production "
            "and non-production would not be found: set the same team key in every stack "
            f"(`pulumi config set --secret vendor-credentials:{CONFIG_KEY} <team key>`), then "
            "`pulumi up` each stack (a refresh alone keeps the key of the last `up`)",
        )
    ]
