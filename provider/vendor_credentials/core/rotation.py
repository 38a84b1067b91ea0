"""When a refresh token may be exchanged: only where the engine certainly saves the result.

A refresh token may be single use: exchanging it burns it, and its successor exists only in the
answer. So an exchange is allowed only in an operation whose outputs the engine writes to state.
Facts from the engine (pulumi 3.274.1, ``pkg/v3``):

* ``check`` runs in previews too: it never rotates.
* The engine calls ``create``/``update`` of a dynamic provider only in the apply phase; a native
  provider gets them in previews too, with ``preview=true`` (``resource/deploy/step.go``).
* ``read`` runs in the PREVIEW phase of ``pulumi refresh`` and ``pulumi up --refresh`` as well:
  ``RefreshStep.Apply`` calls ``prov.Read`` whether or not the step is persisted (``Persisted()``
  is ``s.cts != nil``), and ``ReadRequest`` carries no preview flag. The CLI runs that preview in
  a separate plugin process unless ``--skip-preview`` (``pkg/backend/apply.go``
  ``PreviewThenPromptThenExecute``). So a read may rotate only when the ``pulumi`` process that
  started the plugin runs ``refresh`` (or ``up``/``update`` with ``--refresh``) with
  ``--skip-preview`` and without ``--preview-only``: the Automation API's ``refresh`` and
  ``up(refresh=True)`` do. Anything not recognised counts as "not saved".
* ``audit --live`` writes nothing: it never rotates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

# Flags of the pulumi CLI (``pulumi refresh --help``, ``pulumi up --help``) as pflag reads them.
# Global flags, allowed before the command; a global shorthand's long name.
_GLOBAL_FLAGS = frozenset(
    {"--cwd", "--tracing", "--tracing-header", "--otel-traces", "--profiling", "--memprofilerate",
     "--verbose", "--color", "--emoji", "--fully-qualify-stack-names",
     "--disable-integrity-checking", "--logflow", "--logtostderr", "--non-interactive"}
)  # fmt: skip
_GLOBAL_SHORT = {"C": "--cwd", "e": "--emoji", "Q": "--fully-qualify-stack-names", "v": "--verbose"}
# Flags that take a value (``--x v``, ``--x=v``, ``-xv``, ``-x v``), the Automation API's hidden
# ones included. Any other flag is a boolean (or, like ``--refresh``, has an optional value).
_VALUE_FLAGS = frozenset(
    {"--cwd", "--tracing", "--tracing-header", "--otel-traces", "--profiling", "--memprofilerate",
     "--verbose", "--color", "--config", "--config-file", "--exclude", "--import-pending-creates",
     "--message", "--override-env", "--parallel", "--stack", "--target", "--policy-pack",
     "--policy-pack-config", "--replace", "--secrets-provider", "--target-replace", "--plan",
     "--exec-kind", "--exec-agent", "--client", "--event-log"}
)  # fmt: skip
_COMMAND_SHORT = {
    **_GLOBAL_SHORT, "c": "--config", "d": "--debug", "f": "--skip-preview", "h": "--help",
    "j": "--json", "m": "--message", "p": "--parallel", "s": "--stack", "t": "--target",
    "y": "--yes",
}  # fmt: skip
_SHORTHANDS = {
    "refresh": {**_COMMAND_SHORT, "x": "--exclude"},
    "up": {**_COMMAND_SHORT, "r": "--refresh"},
    "update": {**_COMMAND_SHORT, "r": "--refresh"},
}
_TRUE = ("true", "1", "t", "T", "TRUE", "True")  # strconv.ParseBool


def _take_flag(
    token: str, rest: list[str], shorthands: Mapping[str, str]
) -> list[tuple[str, str]] | None:
    """The ``(long name, value)`` pairs one flag token sets, taking a separate value from
    ``rest``; None for a shorthand not in ``shorthands`` or a missing value. Like pflag, a
    value-taking shorthand inside a group takes the rest of the token: ``-fsdev`` is
    ``--skip-preview --stack dev``, and ``-sfinance`` sets no ``-f``."""
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        if eq:
            return [(name, value)]
        if name not in _VALUE_FLAGS:
            return [(name, "true")]
        return [(name, rest.pop(0))] if rest else None
    taken: list[tuple[str, str]] = []
    letters = token[1:]
    while letters:
        long, letters = shorthands.get(letters[0]), letters[1:]
        if long is None:
            return None
        if letters.startswith("="):  # -f=false
            return [*taken, (long, letters[1:])]
        if long not in _VALUE_FLAGS:
            taken.append((long, "true"))
        elif letters:  # -sdev
            return [*taken, (long, letters)]
        else:  # -s dev
            return [*taken, (long, rest.pop(0))] if rest else None
    return taken


def _is_flag(token: str) -> bool:
    return token.startswith("-") and token != "-"


def command_saves_refresh(argv: Sequence[str]) -> bool:
    """Whether a ``pulumi`` command line refreshes with its results saved and no preview phase:
    ``refresh`` or ``up``/``update`` with ``--refresh``/``-r``, plus ``--skip-preview``/``-f``,
    not ``--preview-only``. An unrecognised global flag or shorthand: False."""
    args = list(argv[1:])
    command = ""
    while args:
        token = args.pop(0)
        if not _is_flag(token):
            command = token
            break
        taken = _take_flag(token, args, _GLOBAL_SHORT)
        if taken is None or any(name not in _GLOBAL_FLAGS for name, _ in taken):
            return False
    shorthands = _SHORTHANDS.get(command)
    if shorthands is None:
        return False
    flags: dict[str, str] = {}
    while args:
        token = args.pop(0)
        if token == "--":  # the rest are arguments
            break
        if _is_flag(token):
            taken = _take_flag(token, args, shorthands)
            if taken is None:
                return False
            flags.update(taken)  # the last one wins, as in pflag
    on = {name for name, value in flags.items() if value in _TRUE}
    refreshes = command == "refresh" or "--refresh" in on
    return refreshes and "--skip-preview" in on and "--preview-only" not in on


def pulumi_command_line(pid: int | None = None, *, depth: int = 6) -> list[str] | None:
    """The argv of the nearest ancestor process that is the ``pulumi`` CLI (Linux ``/proc``);
    None when there is none or it cannot be read."""
    current = os.getppid() if pid is None else pid
    for _ in range(depth):
        if current <= 1:
            return None
        try:
            raw = Path(f"/proc/{current}/cmdline").read_bytes()
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            return None
        argv = [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
        if argv and Path(argv[0]).name in ("pulumi", "pulumi.exe"):
            return argv
        current = int(stat.rpartition(")")[2].split()[1])  # field 4: the parent's pid
    return None


def rotation_saved(
    operation: str, *, preview: bool = False, argv: Sequence[str] | None = None
) -> bool:
    """Whether ``operation`` may exchange a refresh token: its outputs are certainly saved.

    ``create``/``update``: yes, unless ``preview`` (a native provider's preview). ``read``: only
    under a pulumi command line that saves a refresh without a preview phase (``argv``, else
    this process's pulumi ancestor). ``check``, ``audit`` and anything else: no.
    """
    if operation in ("create", "update"):
        return not preview
    if operation == "read":
        line = pulumi_command_line() if argv is None else list(argv)
        return bool(line) and command_saves_refresh(line or [])
    return False
