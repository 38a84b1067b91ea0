"""The `vendor-credentials` command."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vendor-credentials",
        description="Pulumi resources for third-party API credentials: tools around them.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the example stack against the built-in vendor emulator (local backend)",
        description="Preview, up, refresh and destroy examples/all-vendors against the vendor "
        "emulator on 127.0.0.1, with the project's built engine and local file backend, and "
        "print the stack's outputs.",
    )
    demo.add_argument("--stack", default="demo", help="stack name (default: demo)")
    demo.add_argument("--keep", action="store_true", help="do not destroy the stack at the end")

    emulator = sub.add_parser(
        "emulator",
        help="serve the vendor emulator (for trying stacks by hand)",
        description="Serve the four vendor APIs on 127.0.0.1 with seeded demo credentials; "
        "prints the base URL; stop with Ctrl-C or SIGTERM. Same as "
        "`python -m vendor_credentials.emulator`.",
        add_help=False,
    )
    emulator.add_argument("args", nargs=argparse.REMAINDER, help="emulator options (see --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run

        return run(args.stack, keep=args.keep)
    if args.command == "emulator":
        from .emulator.__main__ import main as emulator_main

        return emulator_main(args.args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
