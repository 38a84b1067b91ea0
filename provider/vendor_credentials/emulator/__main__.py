"""`python -m vendor_credentials.emulator`: run the emulator as a separate process.

Prints exactly one line, the base URL, so a parent process can read where to connect,
then serves until SIGTERM/SIGINT and exits 0.
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vendor_credentials.emulator",
        description="Emulate the Help Scout, Intercom and Talkdesk APIs on a local port.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to vendor requests")
    parser.add_argument(
        "--connect-cost-ms", type=float, default=0.0, help="slept once per new connection"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="vendor requests per second (all vendors)"
    )
    parser.add_argument("--oauth-error-status", type=int, choices=(400, 401), default=401)
    parser.add_argument(
        "--docs-unwrapped", action="store_true", help="answer /v1/sites without the envelope"
    )
    parser.add_argument("--no-seed", action="store_true", help="start without demo credentials")
    parser.add_argument("--tls-cert", help="PEM certificate chain; enables https")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--verbose", action="store_true", help="log requests (never secrets)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until signalled; the exit status is 0 on a clean stop."""
    parser = _parser()
    args = parser.parse_args(argv)
    context: ssl.SSLContext | None = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            parser.error("--tls-cert and --tls-key go together")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    emulator = Emulator(
        host=args.host,
        port=args.port,
        ssl_context=context,
        latency=args.latency_ms / 1000.0,
        connect_cost=args.connect_cost_ms / 1000.0,
        rate_limit=args.rate_limit,
        oauth_error_status=args.oauth_error_status,
        docs_wrapped=not args.docs_unwrapped,
        seeded=not args.no_seed,
        verbose=args.verbose,
    )
    emulator.start()
    try:
        sys.stdout.write(emulator.base_url + "\n")
        sys.stdout.flush()
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
