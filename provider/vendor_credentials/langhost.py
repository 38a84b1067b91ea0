"""A minimal Python language host, so a plain `pulumi preview` / `pulumi up` works here.

Pulumi's own host (`pulumi-language-python`, a nested Go module) is not served by the Go module
proxy this project builds from. This host serves the same gRPC protocol with the SDK's own
Automation API language server (the one inline programs use), running the project's `main`
program file or directory with `runpy`. ``scripts/ensure-engine.sh`` installs it next to the CLI
as ``pulumi-language-python``; with a regular Pulumi installation it is not used.

Like Pulumi's host it runs the program with the Python of ``runtime.options.virtualenv`` in
Pulumi.yaml (re-executing itself there), and it polls the engine's gRPC health service and exits
when the engine is gone (a CLI killed, or piped into ``head``), so no host is left behind.

Supported: what preview, up, refresh, destroy and stack commands need (Run, GetRequiredPlugins,
GetRequiredPackages, GetPluginInfo, About). Not supported: `pulumi new`/`install` and
dependency installation (use `scripts/setup.sh`), debugger attachment.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

# Set on the re-executed host: the Python was chosen already (and is the right one).
CHOSEN_ENV = "VENDOR_CREDENTIALS_LANGHOST_CHOSEN"
HEALTH_INTERVAL = float(os.environ.get("VENDOR_CREDENTIALS_LANGHOST_HEALTH_INTERVAL", "1"))
NEEDED = ("pulumi", "vendor_credentials")


def _program_for(request: Any) -> Any:
    """A PulumiFn that runs the project's main file (or ``__main__.py`` of its directory)."""
    root = Path(request.info.program_directory or request.pwd or os.getcwd())
    entry = request.info.entry_point or request.program or "."
    target = (root / entry).resolve() if not Path(entry).is_absolute() else Path(entry)
    if target.is_dir():
        target = target / "__main__.py"

    def program() -> None:
        sys.path.insert(0, str(target.parent))
        try:
            runpy.run_path(str(target), run_name="__main__")
        except Exception as exc:  # reported, as Pulumi's own host does
            from pulumi.errors import RunError

            if isinstance(exc, RunError):
                raise
            raise RunError(program_failure(exc, root)) from None

    return program


def program_failure(exc: BaseException, project: Path) -> str:
    """The error of a program that raised, as the user needs it: the exception and the lines of
    the project's own files it passed through, not the SDK's, runpy's or the virtualenv's (the
    SDK would print all of them, twice)."""
    import traceback

    venv, root = Path(sys.prefix).resolve(), project.resolve()
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if not Path(frame.filename).is_absolute():  # "<frozen runpy>" and the like
            continue
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root) and not path.is_relative_to(venv):
            where = path.relative_to(root)
            lines.append(f"  {where}:{frame.lineno}: {(frame.line or '').strip()}")
    return "\n".join([f"the program failed: {type(exc).__name__}: {exc}", *lines])


# ----------------------------------------------------------------------------- which Python


def _project_file(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        for name in ("Pulumi.yaml", "Pulumi.yml"):
            if (directory / name).is_file():
                return directory / name
    return None


def project_virtualenv(start: Path) -> Path | None:
    """``runtime.options.virtualenv`` of the project at or above ``start``, made absolute."""
    import yaml  # type: ignore[import-untyped]  # (pulumi depends on PyYAML)

    project = _project_file(start)
    if project is None:
        return None
    runtime = (yaml.safe_load(project.read_text()) or {}).get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if not venv:
        return None
    return (project.parent / str(venv)).absolute()


def missing_modules(python: Path) -> list[str]:
    """Which of NEEDED the interpreter cannot import (found without importing them)."""
    code = (
        "import importlib.util as u, sys; "
        f"print(' '.join(n for n in {NEEDED!r} if u.find_spec(n) is None))"
    )
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        return list(NEEDED)
    return done.stdout.split()


# Where the README says how (its bullet "Installing the package.", a test checks it is there).
_INSTALLING = "see the README, 'Your own project', 'Installing the package'"


def python_problem(venv: Path) -> str | None:
    """One line naming the fix when the virtualenv cannot run a program of this package."""
    python = venv / "bin" / "python"
    where = f"runtime.options.virtualenv in Pulumi.yaml is {venv}"
    if not python.exists():
        return (
            f"{where}, which is not a virtual environment: create it with "
            f"`python3 -m venv {venv}`, then `{python} -m pip install pulumi-vendor-credentials` "
            f"(a wheel path or git URL; {_INSTALLING})"
        )
    missing = missing_modules(python)
    if missing:
        return (
            f"{where}, whose Python cannot import {' and '.join(missing)}: run "
            f"`{python} -m pip install pulumi-vendor-credentials` (a wheel path or git URL; "
            f"{_INSTALLING})"
        )
    return None


def choose_python(argv: list[str]) -> str | None:
    """Re-execute in the project's virtualenv when it is another one; else the problem, if any."""
    if os.environ.pop(CHOSEN_ENV, None):
        return None
    venv = project_virtualenv(Path.cwd())
    if venv is None or Path(sys.prefix).resolve() == venv.resolve():
        return None
    problem = python_problem(venv)
    if problem:
        return problem
    python = str(venv / "bin" / "python")
    os.environ[CHOSEN_ENV] = python
    os.execv(python, [python, "-u", "-m", "vendor_credentials.langhost", *argv])
    return None  # not reached


# ----------------------------------------------------------------------------- engine health


def watch_engine(address: str, on_gone: Any, interval: float = HEALTH_INTERVAL) -> None:
    """Poll the engine's gRPC health service, as Pulumi's hosts do; call on_gone when it fails.

    Unimplemented counts as alive; two failures in a row (connection refused: the CLI is gone)
    end the host.
    """
    import grpc  # type: ignore[import-untyped]

    channel = grpc.insecure_channel(address)
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda message: message,  # an empty HealthCheckRequest
        response_deserializer=lambda data: data,
    )

    def loop() -> None:
        failures = 0
        while True:
            threading.Event().wait(interval)
            try:
                check(b"", timeout=10)
                failures = 0
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    failures = 0
                    continue
                failures += 1
                if failures >= 2:
                    on_gone()
                    return

    threading.Thread(target=loop, name="engine-health", daemon=True).start()


# ----------------------------------------------------------------------------- server


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    problem = choose_python(args)
    positional = [a for a in args if not a.startswith("-")]
    engine_address = positional[-1] if positional else ""  # the last positional argument

    import grpc
    from pulumi.automation._server import LanguageServer
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc

    class ProjectLanguageServer(LanguageServer):
        def __init__(self) -> None:
            super().__init__(lambda: None)

        def Run(self, request: Any, context: Any) -> Any:
            if problem:
                return language_pb2.RunResponse(error=problem)
            self.program = _program_for(request)
            # The SDK's server reads the engine's address from args[0], where the CLI puts it
            # for inline programs. Without it, pulumi.log (every warning a program or our
            # resources give) printed plain text to stderr, shown on the stack, not the resource.
            forwarded = language_pb2.RunRequest()
            forwarded.CopyFrom(request)
            del forwarded.args[:]
            forwarded.args.append(engine_address)
            return super().Run(forwarded, context)  # type: ignore[no-untyped-call]

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProjectLanguageServer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()

    def stop(_signum: int, _frame: Any) -> None:
        # The CLI ends its language host with SIGINT when the operation is over: not an error.
        server.stop(0)

    # Before the port is printed: an operation that fails at once (a broken virtualenv) ends the
    # host while it is still starting, and a KeyboardInterrupt there printed a traceback.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()

    def gone() -> None:
        # The program may be blocked on the dead engine: leave at once, nothing to save.
        server.stop(0)
        os._exit(0)

    if engine_address:
        watch_engine(engine_address, gone)

    server.wait_for_termination()


if __name__ == "__main__":
    main()
