"""``vendor-credentials audit``: how the credentials of a project's stacks differ, and which are
broken, without showing a secret.

    from vendor_credentials.audit import audit
    report = audit(["dev", "prod"])          # from state: offline, decrypts nothing
    report = audit(["dev", "prod"], live=True)  # asks each vendor again, writes nothing

``stacks`` reads state through the ``pulumi`` CLI (``deployment`` parses the export), ``live``
validates again, ``findings`` judges (pure), ``render`` prints a table, JSON or markdown.
Importing this package loads only the standard library; the CLI runs, and the vendor modules
load, when ``audit`` is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from .model import Options, Report

__all__ = ["Options", "Report", "audit"]


def audit(
    stack_names: Sequence[str],
    *,
    project: str | None = None,
    options: Options | None = None,
    live: bool = False,
    backend_url: str | None = None,
    env: Mapping[str, str] | None = None,
    as_of: datetime | None = None,
    allowed_origins: Sequence[str] = (),
) -> Report:
    """Read the stacks (and with ``live`` ask the vendors), then judge them.

    ``env`` replaces ``os.environ`` for the CLI (tests); ``as_of`` replaces "now" for ages and
    expiries (reproducible reports); ``allowed_origins``: with ``live``, origins other than the
    vendors' own hosts a stored ``base_url`` may send secrets to. Raises ``AuditError`` when
    the audit cannot run.
    """
    from . import findings
    from .stacks import AuditError, PulumiCli, cli_env, find_pulumi, read_stack, resolve_stacks

    options = options or Options()
    if not stack_names:
        raise AuditError("name at least one stack, e.g. `vendor-credentials audit dev prod`")
    cli = PulumiCli(find_pulumi(), cli_env(backend_url, env))
    project_name, refs = resolve_stacks(cli, stack_names, project)
    with ThreadPoolExecutor(max_workers=4) as pool:
        read = list(pool.map(lambda ref: read_stack(cli, ref[0], ref[1], reveal=live), refs))
    if live:
        from .live import check_live

        stacks = check_live(read, frozenset(allowed_origins))
    else:
        stacks = [stack for stack, _ in read]
    del read  # with --live it holds decrypted secrets: drop them as soon as they are used
    moment = (as_of or datetime.now(UTC)).astimezone(UTC)
    return Report(
        project=project_name,
        mode="live" if live else "state",
        as_of=moment,
        options=options,
        stacks=tuple(stacks),
        rows=tuple(findings.rows(stacks)),
        findings=tuple(findings.find(stacks, options, moment)),
        notes=tuple(findings.notes(stacks, options)),
    )
