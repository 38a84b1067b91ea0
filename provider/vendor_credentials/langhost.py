"""A minimal Python language host, so a plain `pulumi preview` / `pulumi up` works here.

Pulumi's own host (`pulumi-language-python`, a nested Go module) is not served by the Go module
proxy this project builds from. This host serves the same gRPC protocol with the SDK's own
Automation API language server (the one inline programs use), running the project's `main`
program file or directory with `runpy`. ``scripts/ensure-engine.sh`` installs it next to the CLI
as ``pulumi-language-python``; with a regular Pulumi installation it is not used.

Supported: what preview, up, refresh, destroy and stack commands need (Run, GetRequiredPlugins,
GetRequiredPackages, GetPluginInfo, About). Not supported: `pulumi new`/`install` and
dependency installation (use `scripts/setup.sh`), debugger attachment.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
from concurrent import futures
from pathlib import Path
from typing import Any


def _program_for(request: Any) -> Any:
    """A PulumiFn that runs the project's main file (or ``__main__.py`` of its directory)."""
    root = Path(request.info.program_directory or request.pwd or os.getcwd())
    entry = request.info.entry_point or request.program or "."
    target = (root / entry).resolve() if not Path(entry).is_absolute() else Path(entry)
    if target.is_dir():
        target = target / "__main__.py"

    def program() -> None:
        sys.path.insert(0, str(target.parent))
        runpy.run_path(str(target), run_name="__main__")

    return program


def main() -> None:
    import grpc  # type: ignore[import-untyped]
    from pulumi.automation._server import LanguageServer
    from pulumi.runtime.proto import language_pb2_grpc

    class ProjectLanguageServer(LanguageServer):
        def __init__(self) -> None:
            super().__init__(lambda: None)

        def Run(self, request: Any, context: Any) -> Any:
            self.program = _program_for(request)
            return super().Run(request, context)  # type: ignore[no-untyped-call]

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProjectLanguageServer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()

    def stop(_signum: int, _frame: Any) -> None:
        # The CLI ends its language host with SIGINT when the operation is over: not an error.
        server.stop(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
