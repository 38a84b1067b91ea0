"""Reading stacks through the ``pulumi`` CLI: which stacks exist, their state, their refreshes.

Works against whatever backend the CLI uses (``PULUMI_BACKEND_URL``, ``--backend-url`` or the
one it is logged in to), the local file backend included. State is read with
``pulumi stack export``; only ``--live`` adds ``--show-secrets``, and the decrypted values it
returns are handed to the live check alone, never to a ``Credential``. Parsing the exported
deployment itself is ``deployment``'s work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .deployment import SECRET_SIG, STACK_TYPE, TYPE_MARKER, parse_deployment
from .model import Stack, parse_time

__all__ = [
    "HISTORY_PAGE",
    "PARTIAL_FLAGS",
    "SECRET_SIG",
    "STACK_TYPE",
    "TYPE_MARKER",
    "AuditError",
    "CliFailure",
    "PulumiCli",
    "cli_env",
    "find_pulumi",
    "last_refresh",
    "parse_deployment",
    "read_stack",
    "refresh_time",
    "resolve_stacks",
]

HISTORY_PAGE = 100
# History flags that mean a refresh did not read every resource.
PARTIAL_FLAGS = ("pulumi.flag.target", "pulumi.flag.exclude")


class AuditError(Exception):
    """The audit could not run (exit code 2); the message says what to do."""


def find_pulumi() -> str:
    """The CLI the project built (``scripts/ensure-engine.sh``), else the one on PATH."""
    from ..engine import TOOLS_BIN

    built = TOOLS_BIN / "pulumi"
    if built.exists():
        return str(built)
    found = shutil.which("pulumi")
    if found is None:
        raise AuditError(
            "no `pulumi` CLI found: install Pulumi (https://www.pulumi.com/docs/install/) or run "
            "scripts/ensure-engine.sh in the pulumi-vendor-credentials checkout"
        )
    return found


def cli_env(
    backend_url: str | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for the CLI: the caller's, quiet, with ``backend_url`` when given."""
    env = dict(os.environ if base is None else base)
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    if backend_url:
        env["PULUMI_BACKEND_URL"] = backend_url
    return env


@dataclass
class PulumiCli:
    """Runs ``pulumi`` non-interactively from an empty directory, so no Pulumi.yaml around
    changes what a stack name means and no prompt can wait for input."""

    binary: str
    env: dict[str, str]
    timeout: float = 300.0

    @property
    def backend(self) -> str:
        from ..core.redact import safe_url

        url = self.env.get("PULUMI_BACKEND_URL")
        return f"backend {safe_url(url)}" if url else "the backend `pulumi` is logged in to"

    def _redact(self, text: str) -> str:
        """pulumi masks a URL's user:password in its errors, not a password in the query."""
        from ..core.redact import url_redactor

        return url_redactor(self.env.get("PULUMI_BACKEND_URL") or "")(text)

    def run(self, *args: str) -> str:
        """stdout of a successful command; ``CliFailure`` with pulumi's message otherwise."""
        with tempfile.TemporaryDirectory(prefix="vendor-credentials-audit-") as cwd:
            try:
                done = subprocess.run(
                    [self.binary, *args, "--non-interactive", "--color", "never"],
                    cwd=cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=self.timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise CliFailure(f"`pulumi {args[0]} {args[1]}` did not finish in time") from None
            except OSError as exc:
                raise AuditError(f"could not run {self.binary}: {exc.strerror}") from None
        if done.returncode != 0:
            text = self._redact(_error_text(done.stderr))
            raise CliFailure(text or f"exit code {done.returncode}")
        return done.stdout


class CliFailure(Exception):
    """A ``pulumi`` command failed; the text is pulumi's own error line."""


def _error_text(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error:")]
    return "; ".join(errors or lines[-3:])


def _split_ref(ref: str) -> tuple[str | None, str]:
    """(project, stack) of 'org/project/stack', 'project/stack' or 'stack'."""
    parts = ref.split("/")
    if len(parts) >= 3:
        return parts[-2], parts[-1]
    if len(parts) == 2:
        return parts[0], parts[1]
    return None, ref


def resolve_stacks(
    cli: PulumiCli, names: Sequence[str], project: str | None
) -> tuple[str, list[tuple[str, str]]]:
    """The project and ``(name, fully qualified reference)`` of each stack asked for."""
    try:
        listing = json.loads(cli.run("stack", "ls", "--all", "--json") or "[]")
    except CliFailure as exc:
        direct = _direct_refs(names, project)
        if direct is None:
            raise AuditError(_unlisted(cli.backend, str(exc))) from None
        # One unreadable stack (e.g. a job killed mid-save) must not hide the healthy ones.
        warning = f"{_unlisted(cli.backend, str(exc))}; reading the named stacks directly"
        print(f"vendor-credentials audit: warning: {warning}", file=sys.stderr)
        return direct
    except ValueError:
        raise AuditError("`pulumi stack ls --json` printed something that is not JSON") from None
    known = [str(e.get("name")) for e in listing if isinstance(e, dict) and e.get("name")]
    resolved: list[tuple[str, str]] = []
    projects: set[str] = set()
    for name in dict.fromkeys(names):
        matches = [ref for ref in known if _matches(ref, name, project)]
        if not matches:
            raise AuditError(_unknown_stack(name, project, known, cli.backend))
        found_projects = sorted({_split_ref(ref)[0] or "" for ref in matches})
        if len(matches) > 1:
            raise AuditError(
                f"stack '{name}' exists in several projects ({', '.join(found_projects)}): "
                "pass --project NAME"
            )
        resolved.append((name, matches[0]))
        projects.add(_split_ref(matches[0])[0] or "")
    if len(projects) > 1:
        raise AuditError(
            f"the stacks belong to different projects ({', '.join(sorted(projects))}): audit "
            "stacks of one project, e.g. with --project NAME"
        )
    return (project or projects.pop() or "?"), resolved


def _eof_hint(error: str) -> str:
    """What a bare ``EOF`` from the CLI means on a self-managed backend, and its fix."""
    if not error.rstrip().endswith("EOF"):
        return ""
    return (
        " (on a file:// backend, an empty `.pulumi/stacks/<project>/<stack>.json.attrs` left by "
        "a killed job causes this: delete that empty file)"
    )


def _unlisted(backend: str, error: str) -> str:
    return (
        f"could not list the stacks on {backend}: {error}{_eof_hint(error)}. Check "
        "PULUMI_BACKEND_URL or "
        "--backend-url (e.g. file:///path/to/state), or run `pulumi login`"
    )


def _direct_refs(
    names: Sequence[str], project: str | None
) -> tuple[str, list[tuple[str, str]]] | None:
    """The self-managed backends' references (``organization/<project>/<stack>``) of the stacks
    asked for, when every one names its project; None when one does not."""
    resolved: list[tuple[str, str]] = []
    projects: set[str] = set()
    for name in dict.fromkeys(names):
        named_project, stack = _split_ref(name)
        owner = named_project or project
        if owner is None:
            return None
        ref = name if name.count("/") >= 2 else f"organization/{owner}/{stack}"
        resolved.append((name, ref))
        projects.add(owner)
    if len(projects) > 1:
        return None
    return projects.pop(), resolved


def _matches(ref: str, name: str, project: str | None) -> bool:
    """Whether a listed stack is the one asked for ('dev', or 'org/project/dev' and suffixes)."""
    if "/" in name:
        return ref == name or ref.endswith("/" + name)
    ref_project, ref_stack = _split_ref(ref)
    return ref_stack == name and (project is None or ref_project in (project, None))


def _unknown_stack(name: str, project: str | None, known: list[str], backend: str) -> str:
    in_project = f" in project '{project}'" if project else ""
    candidates = sorted(
        _split_ref(ref)[1] if project else "/".join(part for part in _split_ref(ref) if part)
        for ref in known
        if project is None or _split_ref(ref)[0] == project
    )
    listing = ", ".join(candidates[:30]) or "none"
    return (
        f"no stack '{name}'{in_project} on {backend}. Stacks there{in_project}: {listing}. "
        "Check the name, --project and PULUMI_BACKEND_URL / --backend-url"
    )


def read_stack(
    cli: PulumiCli, name: str, ref: str, *, reveal: bool = False
) -> tuple[Stack, dict[str, dict[str, Any]]]:
    """A stack's credentials, and (``reveal`` only) each one's decrypted outputs by URN."""
    args = ["stack", "export", "--stack", ref]
    if reveal:
        args.append("--show-secrets")
    try:
        exported = json.loads(cli.run(*args))
    except CliFailure as exc:
        text = str(exc)
        if "passphrase" in text.lower() or "decrypt" in text.lower():
            raise AuditError(
                f"could not decrypt the secrets of stack '{name}': {text}. --live needs the "
                "stack's secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) "
                "to its passphrase, or leave out --live to audit from state without decrypting"
            ) from None
        raise AuditError(
            f"could not read the state of stack '{name}': {text}{_eof_hint(text)}"
        ) from None
    except ValueError:
        raise AuditError(f"`pulumi stack export` of '{name}' did not print JSON") from None
    deployment = (exported.get("deployment") or {}) if isinstance(exported, dict) else {}
    credentials, revealed = parse_deployment(deployment, reveal=reveal)
    return Stack(name, ref, credentials, last_refresh(cli, ref)), revealed


def last_refresh(cli: PulumiCli, ref: str) -> datetime | None:
    """End of the newest successful refresh that read every resource (None if unknown).

    ``pulumi refresh`` and ``pulumi up --refresh`` validate each credential again; a refresh
    that finds nothing changed leaves ``validated_at`` untouched, so this is how the audit knows
    a credential was proved later than its ``validated_at``.
    """
    try:
        entries = json.loads(
            cli.run("stack", "history", "--stack", ref, "--json", "--page-size", str(HISTORY_PAGE))
            or "[]"
        )
    except (CliFailure, ValueError):
        return None  # history is a refinement; a backend without it just gets older times
    return refresh_time(entries if isinstance(entries, list) else [])


def refresh_time(entries: Sequence[Any]) -> datetime | None:
    """The newest successful, untargeted refresh among ``pulumi stack history --json`` entries."""
    newest: datetime | None = None
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("result") != "succeeded":
            continue
        env = entry.get("environment") or {}
        kind = entry.get("kind")
        refreshed = kind == "refresh" or (kind == "update" and bool(env.get("pulumi.flag.refresh")))
        if not refreshed or any(env.get(flag) for flag in PARTIAL_FLAGS):
            continue
        ended = parse_time(entry.get("endTime"))
        if ended is not None and (newest is None or ended > newest):
            newest = ended
    return newest
