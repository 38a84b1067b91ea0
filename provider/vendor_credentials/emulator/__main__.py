"""`python -m vendor_credentials.emulator` (`vendor-credentials emulator`): run the emulator.

Prints exactly one line on stdout, the base URL, so a parent process can read where to connect;
explains itself on stderr (the seeded demo credentials, how to read their secrets, the control
routes); then serves until SIGTERM/SIGINT and exits 0. Everything here is generic over the seed
data (`DEMO_CREDENTIALS`): no vendor is named in this file.
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

from . import DEMO_CREDENTIALS, Fault
from .server import Emulator

# Control routes (`POST /_emulator/<route>` with a JSON body, `GET` for the two reads).
CONTROLS: tuple[tuple[str, str, str], ...] = (
    ("POST", "revoke", '{"key": K}: K answers 401 from now on'),
    ("POST", "restore", '{"key": K} undoes revoke ({} restores all)'),
    ("POST", "rotate", '{"key": K}: a new secret, returned as {"secret": ...}; the old one fails'),
    (
        "POST",
        "fault",
        '{"fault": F, "path": "/me", "times": 1, "seconds": 5}: the next `times`'
        " matching vendor requests misbehave (F below; `seconds` for hang)",
    ),
    ("POST", "latency", '{"seconds": 0.2}: added to every vendor request'),
    (
        "POST",
        "config",
        '{"latency", "connect_cost", "rate_limit", or a vendor option such as'
        ' "oauth_error_status"}',
    ),
    ("POST", "credentials", '{"vendor": ..., ...}: add a credential (fields as seeded)'),
    ("POST", "expire", "{}: every issued access token expires now"),
    ("POST", "clock", '{"advance": 600}: move the clock that expires codes and tokens'),
    ("POST", "clear", "{}: empty the request log and drop pending faults"),
    ("POST", "reset", "{}: back to the seeded state"),
    ("GET", "requests", "the request log (method, path, vendor, status, credential; no secrets)"),
    ("GET", "stats", "connections, requests, pending faults"),
)


def _is_secret(field: str) -> bool:
    return field.endswith(("secret", "token", "key"))


def _example_seed() -> str:
    """The first seeded credential's name, for the examples in help and banner."""
    return next(iter(DEMO_CREDENTIALS), "NAME")


def _example_secret() -> str:
    """``NAME.FIELD`` of the first seeded secret, for the ``--print-secret`` examples."""
    for name, values in DEMO_CREDENTIALS.items():
        for field in values:
            if _is_secret(field):
                return f"{name}.{field}"
    return "NAME.FIELD"


def _key_meaning() -> str:
    return (
        f"K (key) names a credential: its seed name below (e.g. {_example_seed()}), one of its "
        "ids (app_id, client_id), its secret, or an access token the emulator issued"
    )


def _epilog() -> str:
    routes = "\n".join(f"  {m:4} /_emulator/{r:11} {text}" for m, r, text in CONTROLS)
    return (
        f"control routes (JSON; not logged, limited or delayed):\n{routes}\n\n{_key_meaning()}.\n"
        "F (fault): " + ", ".join(f.value for f in Fault) + ".\n"
        "seed names: " + ", ".join(DEMO_CREDENTIALS) + " (--print-secret NAME.FIELD shows one)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vendor-credentials emulator",
        description="Emulate the vendor APIs of every credential kind on 127.0.0.1, with "
        "seeded demo credentials. Use the printed URL as every resource's base_url. Never a "
        "production default.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="fixed port, so a stack's base_url survives a restart (default 0: a free one)",
    )
    parser.add_argument(
        "--print-secret",
        metavar="NAME.FIELD",
        help=f"print one seeded value (e.g. {_example_secret()}) and exit; no server",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the URL on start")
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


def _print_secret(parser: argparse.ArgumentParser, spec: str) -> int:
    name, _, field = spec.partition(".")
    values = DEMO_CREDENTIALS.get(name, {})
    if field not in values:
        fields = [f"{n}.{f}" for n, v in DEMO_CREDENTIALS.items() for f in v]
        parser.error(f"--print-secret: no seeded {spec!r}; one of: {', '.join(fields)}")
    sys.stdout.write(values[field] + "\n")
    return 0


def banner(base_url: str, seeded: bool) -> str:
    """What a person starting the emulator needs: where, which credentials, which controls."""
    lines = [f"vendor emulator on {base_url}: use it as base_url; Ctrl-C stops it"]
    if seeded:
        lines.append("seeded demo credentials (NAME: non-secret fields; secret fields):")
        for name, values in DEMO_CREDENTIALS.items():
            plain = " ".join(f"{f}={v}" for f, v in values.items() if not _is_secret(f))
            hidden = ", ".join(f for f in values if _is_secret(f))
            lines.append(f"  {name}: {plain} ; secret: {hidden}".replace(":  ;", ": ;"))
        lines.append(
            "read a secret: vendor-credentials emulator --print-secret NAME.FIELD "
            f"(e.g. {_example_secret()})"
        )
    lines.append(f"controls: {base_url}/_emulator/<route> (see --help), e.g.")
    lines.append(
        f'  curl -X POST {base_url}/_emulator/revoke -d \'{{"key": "{_example_seed()}"}}\''
    )
    lines.append("  routes: " + " ".join(route for _, route, _ in CONTROLS))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until signalled; the exit status is 0 on a clean stop."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.print_secret:
        return _print_secret(parser, args.print_secret)
    context: ssl.SSLContext | None = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            parser.error("--tls-cert and --tls-key go together")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            parser.error(f"cannot load --tls-cert/--tls-key: {reason}")

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
    try:
        emulator.start()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        sys.stderr.write(
            f"vendor-credentials emulator: cannot listen on {args.host}:{args.port}: "
            f"{exc.strerror or exc}: stop what holds it (another emulator?) or pick another "
            "with --port (0: a free one)\n"
        )
        return 2
    try:
        sys.stdout.write(emulator.base_url + "\n")
        sys.stdout.flush()
        if not args.quiet:
            sys.stderr.write(banner(emulator.base_url, seeded=not args.no_seed))
            sys.stderr.flush()
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
