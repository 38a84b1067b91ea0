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
from collections.abc import Sequence
from pathlib import Path

# Global flags of the pulumi CLI that take a value (``pkg/v3/cmd/pulumi/pulumi.go``).
_GLOBAL_VALUE_FLAGS = frozenset(
    {"--cwd", "-C", "--tracing", "--otel-traces", "--profiling", "--memprofilerate",
     "--verbose", "-v", "--color", "--tracing-header"}
)  # fmt: skip
_GLOBAL_BOOL_FLAGS = frozenset(
    {"--emoji", "--fully-qualify-stack-names", "--disable-integrity-checking", "--logflow",
     "--logtostderr", "--non-interactive"}
)  # fmt: skip
_TRUE = ("", "true", "1", "t", "TRUE", "True")


def _flag(argv: Sequence[str], long: str, short: str) -> bool:
    """Whether a boolean flag is set (``--x``, ``--x=true``, ``-s``, or in a ``-ys`` group)."""
    on = False
    for token in argv:
        name, eq, value = token.partition("=")
        if name == long:
            on = (value if eq else "") in _TRUE
        elif short and token.startswith("-") and not token.startswith("--") and "=" not in token:
            on = on or short[1] in token[1:]
    return on


def command_saves_refresh(argv: Sequence[str]) -> bool:
    """Whether a ``pulumi`` command line refreshes with its results saved and no preview phase:
    ``refresh`` or ``up``/``update`` with ``--refresh``/``-r``, plus ``--skip-preview``/``-f``,
    not ``--preview-only``. Unrecognised global flags before the command: False."""
    args = list(argv[1:])
    command = ""
    while args:
        token = args.pop(0)
        if not token.startswith("-"):
            command = token
            break
        name = token.partition("=")[0]
        if name in _GLOBAL_VALUE_FLAGS and "=" not in token:
            if not args:
                return False
            args.pop(0)
        elif name not in _GLOBAL_VALUE_FLAGS and name not in _GLOBAL_BOOL_FLAGS:
            return False
    if command == "refresh":
        refreshes = True
    elif command in ("up", "update"):
        refreshes = _flag(args, "--refresh", "-r")
    else:
        return False
    return (
        refreshes and _flag(args, "--skip-preview", "-f") and not _flag(args, "--preview-only", "")
    )


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
