"""Start the plugin: serve gRPC on a free loopback port and print the port for the engine."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from concurrent import futures

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto.provider_pb2_grpc import add_ResourceProviderServicer_to_server

from .config import MAX_WORKERS
from .engine_log import forward_warnings
from .server import Plugin

# Property bags can be large (many identities); match the engine's own limit.
_MAX_MESSAGE = 400 * 1024 * 1024


def _exit_with_the_engine(period: float = 1.0) -> None:
    """The engine stops its plugins when it ends; a CLI that is killed cannot. Exit once the
    process that started us is gone (we are reparented), instead of lingering as an orphan."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="engine-watch", daemon=True).start()


def main() -> None:
    """Run until the engine stops the process; warnings go to the engine at the address it
    passes (``engine_log``)."""
    sys.tracebacklimit = 0
    _exit_with_the_engine()
    forward_warnings(sys.argv[1:], logging.getLogger("vendor_credentials"))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_WORKERS + 8),
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
            ("grpc.max_send_message_length", _MAX_MESSAGE),
        ],
    )
    add_ResourceProviderServicer_to_server(Plugin(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


main()
