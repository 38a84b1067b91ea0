"""The `vendor-credentials` command."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vendor-credentials",
        description="Pulumi resources for third-party API credentials: tools around them.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="prove one credential of every kind against the built-in vendor emulator",
        description="Preview, up, refresh and destroy a stack holding one credential of every "
        "kind (its sample) against the vendor emulator on 127.0.0.1, with the project's built "
        "engine and local file backend, and print the stack's outputs.",
    )
    demo.add_argument("--stack", default="demo", help="stack name (default: demo)")
    demo.add_argument("--keep", action="store_true", help="do not destroy the stack at the end")

    emulator = sub.add_parser(
        "emulator",
        help="serve the vendor emulator (for trying stacks by hand; emulator --help)",
        description="Serve every kind's vendor API on 127.0.0.1 with seeded demo credentials; "
        "prints the base URL; stop with Ctrl-C or SIGTERM. Same as "
        "`python -m vendor_credentials.emulator`.",
        add_help=False,
    )
    emulator.add_argument("args", nargs=argparse.REMAINDER, help="emulator options (see --help)")

    _add_audit(sub)
    from .login import add_parser as add_login

    add_login(sub)
    return parser


def _add_audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `audit` subcommand: compare the credentials of a project's stacks."""
    from .audit.command import duration, moment, origin, pattern

    audit = sub.add_parser(
        "audit",
        help="compare the credentials of two or more stacks and report broken or drifting ones",
        description="Compare the vendor credentials of stacks of one project (e.g. dev, staging, "
        "prod): one row per credential (resource name and kind) with each stack's status, "
        "identity, fingerprint, validated_at and expires_at, then findings: missing from a "
        "stack, invalid, different kind or region, the same secret in a production and a "
        "non-production stack, not proved for too long, expiring. No secret is ever shown. "
        "By default it reads state only (`pulumi stack export`, nothing decrypted, no vendor "
        "called); --live validates every credential against its vendor again.",
        epilog="Exit codes: 0 no findings, 1 findings (at least --fail-on), 2 could not audit "
        "(unknown stack, backend unreachable, wrong passphrase). Uses the pulumi CLI the "
        "project built (.tools/pulumi/bin) or the one on PATH, against PULUMI_BACKEND_URL, "
        "--backend-url or the backend it is logged in to. Exchanged tokens (OAuth2 "
        "client credentials) are not kept, so their expires_at is shown but never "
        "a finding.",
    )
    audit.add_argument(
        "stacks",
        nargs="+",
        metavar="STACK",
        help="stack names (e.g. dev prod), or fully qualified organization/project/stack",
    )
    audit.add_argument(
        "--project",
        metavar="NAME",
        help="project of the stacks; needed only when a stack name exists in several projects",
    )
    audit.add_argument(
        "--live",
        action="store_true",
        help="validate each credential against its vendor now (decrypts the secrets with "
        "PULUMI_CONFIG_PASSPHRASE; writes nothing to state) instead of trusting state",
    )
    audit.add_argument(
        "--allow-origin",
        metavar="ORIGIN",
        type=origin,
        action="append",
        help="with --live: an origin (scheme://host[:port]) a credential's stored base_url may "
        "point at; repeatable. Without it, a credential whose base_url is not the vendor's own "
        "host is not sent and is reported (anyone who can write state can change base_url)",
    )
    audit.add_argument(
        "--format",
        choices=("table", "json", "markdown"),
        default="table",
        help="table for a terminal (default), json for tools (schema_version 1), markdown for "
        "a pull-request comment",
    )
    audit.add_argument(
        "--prod-pattern",
        metavar="REGEX",
        type=pattern,
        default="prod",
        help="stacks whose name matches this regular expression (case-insensitive search) are "
        "production; a secret shared between production and another stack is an error "
        "(default: prod; use '^prod' to leave out preprod)",
    )
    audit.add_argument(
        "--max-age",
        metavar="DURATION",
        type=duration,
        default="7d",
        help="warn when the vendor last proved a valid credential longer ago than this: its "
        "validated_at or the stack's last successful refresh (default: 7d; units s m h d w)",
    )
    audit.add_argument(
        "--expiry-window",
        metavar="DURATION",
        type=duration,
        default="24h",
        help="warn when a credential whose secret itself expires does so within this time "
        "(default: 24h)",
    )
    audit.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default="info",
        help="least severe finding that makes the exit code 1 (default: info, i.e. any finding)",
    )
    audit.add_argument(
        "--as-of",
        metavar="TIME",
        type=moment,
        help="measure ages and expiries from this UTC time (ISO 8601, e.g. 2025-01-31T12:00Z) "
        "instead of now, for reproducible reports",
    )
    audit.add_argument(
        "--backend-url",
        metavar="URL",
        help="state backend to read (e.g. file:///srv/pulumi-state, s3://bucket); default: "
        "PULUMI_BACKEND_URL, else the backend the pulumi CLI is logged in to",
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["emulator"]:  # all its options are the emulator's own (argparse's REMAINDER
        from .emulator.__main__ import main as emulator_main  # would refuse leading options)

        return emulator_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run

        return run(args.stack, keep=args.keep)
    if args.command == "audit":
        from .audit.command import run as audit

        return audit(args)
    if args.command == "login":
        from .login import run as login

        return login(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
