"""`python -m vendor_credentials.emulator`: run the emulator as a separate process.

Prints exactly one line, the base URL, so a parent process can read where to connect,
then serves until SIGTERM/SIGINT and exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import ssl
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from .server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vendor_credentials.emulator",
        description="Emulate the vendor APIs of every credential kind on a local port.",
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
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a vendor module's answer variant (JSON value), e.g. oauth_error_status=400",
    )
    parser.add_argument("--no-seed", action="store_true", help="start without demo credentials")
    parser.add_argument("--tls-cert", help="PEM certificate chain; enables https")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--verbose", action="store_true", help="log requests (never secrets)")
    return parser


def _options(parser: argparse.ArgumentParser, given: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in given:
        name, sep, raw = item.partition("=")
        if not sep:
            parser.error(f"--option {item!r}: expected NAME=VALUE")
        try:
            options[name] = json.loads(raw)
        except ValueError:
            options[name] = raw
    return options


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

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            ssl_context=context,
            latency=args.latency_ms / 1000.0,
            connect_cost=args.connect_cost_ms / 1000.0,
            rate_limit=args.rate_limit,
            seeded=not args.no_seed,
            verbose=args.verbose,
            **_options(parser, args.option),
        )
    except ValueError as exc:
        parser.error(str(exc))
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
