"""Every offline setting of the Pulumi engine, in one place, for the demo, tests and benchmarks.

The CLI is the one ``scripts/ensure-engine.sh`` built into ``.tools/pulumi/bin``; state lives in a
git-ignored file backend inside the project; secrets use a passphrase provider; update checks and
plugin downloads are off; the dynamic-provider plugin runs this virtual environment's Python so it
imports this package. Programs run as Automation API inline programs, which need no language host
(the proxy does not serve ``pulumi-language-python``; see README, "The engine").
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("VENDOR_CREDENTIALS_ROOT", Path(__file__).resolve().parents[2]))
TOOLS_BIN = ROOT / ".tools" / "pulumi" / "bin"
# Local backend and PULUMI_HOME; VENDOR_CREDENTIALS_STATE_DIR moves them (tests use a temp dir).
STATE_DIR = Path(os.environ.get("VENDOR_CREDENTIALS_STATE_DIR", ROOT / ".pulumi-state"))
DEMO_PASSPHRASE = "vendor-credentials-demo"  # demo stacks only; real stacks set their own


class PassphraseMissing(SystemExit):
    """No passphrase for stacks that are not the demo's own: a clear error, not a silent default."""


def config_passphrase(*, demo: bool = False) -> str | None:
    """The secrets passphrase the stacks get: ``PULUMI_CONFIG_PASSPHRASE`` (None: the CLI reads
    ``PULUMI_CONFIG_PASSPHRASE_FILE``), else, for the demo's own stacks only, the public demo
    passphrase, said aloud. Anywhere else a missing passphrase is an error: a stack created with
    a published passphrase protects nothing."""
    given = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if given is not None:
        return given
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        return None
    if demo:
        print(
            f"vendor-credentials: PULUMI_CONFIG_PASSPHRASE is not set: the demo's own stacks use "
            f"the public demo passphrase '{DEMO_PASSPHRASE}' (fine for the emulator's demo "
            "secrets, never for real ones)",
            file=sys.stderr,
        )
        return DEMO_PASSPHRASE
    raise PassphraseMissing(
        "vendor-credentials: PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not "
        "set: set it to the stacks' secrets passphrase (only the demo's own stacks fall back to "
        "the public demo passphrase)"
    )


def engine_env(
    backend_dir: Path | None = None,
    *,
    passphrase: str | None = None,
    home: Path | None = None,
    demo: bool = False,
) -> dict[str, str]:
    """Environment for the CLI and the plugin it starts (merged over ``os.environ``).

    ``passphrase``: the stacks' secrets passphrase; None reads it from the environment
    (``config_passphrase``; ``demo`` allows the demo passphrase for the demo's own stacks).
    """
    secret = passphrase if passphrase is not None else config_passphrase(demo=demo)
    backend = backend_dir or STATE_DIR / "backend"
    pulumi_home = home or STATE_DIR / "home"
    backend.mkdir(parents=True, exist_ok=True)
    pulumi_home.mkdir(parents=True, exist_ok=True)
    env = {
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_CREDENTIAL_STORE": "plaintext",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if secret is not None:
        env["PULUMI_CONFIG_PASSPHRASE"] = secret
    return env


def pulumi_command() -> Any:
    """The built CLI for the Automation API (fails with what to run when it is missing)."""
    from pulumi import automation as auto

    if not (TOOLS_BIN / "pulumi").exists():
        raise SystemExit(
            f"the pulumi CLI is not built yet ({TOOLS_BIN / 'pulumi'} missing): "
            "run scripts/ensure-engine.sh"
        )
    return auto.PulumiCommand(root=str(TOOLS_BIN.parent))


def inline_stack(
    stack_name: str,
    program: Callable[[], None],
    *,
    project: str = "vendor-credentials",
    env: Mapping[str, str] | None = None,
    work_dir: Path | None = None,
) -> Any:
    """Create or select a stack of an inline program on the local backend.

    Without ``work_dir`` the workspace (``Pulumi.yaml``, ``Pulumi.<stack>.yaml``) is a fresh
    directory beside ``PULUMI_HOME``, removed when this process exits (``_scratch_workspace``)."""
    from pulumi import automation as auto

    # Given to the CLI only, never exported into this process: one stack's settings (a log
    # level, a passphrase) must not reach the next stack a process drives.
    env = dict(env or engine_env())
    if work_dir is None:
        work_dir = _scratch_workspace(Path(env["PULUMI_HOME"]).parent / "workspaces", stack_name)
    work_dir.mkdir(parents=True, exist_ok=True)
    settings = auto.ProjectSettings(
        name=project,
        runtime="python",
        backend=auto.ProjectBackend(url=env["PULUMI_BACKEND_URL"]),
    )
    opts = auto.LocalWorkspaceOptions(
        pulumi_home=env["PULUMI_HOME"],
        env_vars=env,
        project_settings=settings,
        secrets_provider="passphrase",
        pulumi_command=pulumi_command(),
        work_dir=str(work_dir),
    )
    return auto.create_or_select_stack(
        stack_name=stack_name, project_name=project, program=program, opts=opts
    )


def _scratch_workspace(parent: Path, stack_name: str) -> Path:
    """A workspace of one stack object. Its own, because config set on one stack object must
    not reach another running at the same time (two processes updating the same stack). Removed
    at exit: left to itself the Automation API makes a ``/tmp/automation-*`` directory for every
    stack object and never removes it."""
    parent.mkdir(parents=True, exist_ok=True)
    prefix = "".join(c if c.isalnum() or c in "-_." else "-" for c in stack_name)
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=parent))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
