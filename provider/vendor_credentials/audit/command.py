"""The ``vendor-credentials audit`` command: argument types and the run (options are in cli.py)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta

from .model import Options, parse_duration, parse_time


def duration(text: str) -> timedelta:
    """argparse type: ``7d``, ``24h``, ``90m``, ``1d12h``."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def pattern(text: str) -> str:
    """argparse type: a regular expression that compiles."""
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a regular expression: {exc}") from None
    return text


def moment(text: str) -> datetime:
    """argparse type: an ISO 8601 time, UTC unless it names an offset."""
    parsed = parse_time(text.strip())
    if parsed is None:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO 8601 time: use e.g. 2025-01-31T12:00:00Z"
        )
    return parsed.astimezone(UTC)


def origin(text: str) -> str:
    """argparse type: an origin as ``base_url`` accepts it, normalised the same way."""
    from ..core.inputs import normalized_origin

    try:
        return normalized_origin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Audit, print the report on stdout, return the exit code (0, 1 findings, 2 failed)."""
    from . import audit
    from .render import render
    from .stacks import AuditError

    options = Options(
        prod_pattern=args.prod_pattern,
        max_age=args.max_age,
        expiry_window=args.expiry_window,
        fail_on=args.fail_on,
    )
    try:
        report = audit(
            args.stacks,
            project=args.project,
            options=options,
            live=args.live,
            backend_url=args.backend_url,
            as_of=args.as_of,
            allowed_origins=args.allow_origin or (),
        )
    except AuditError as exc:
        print(f"vendor-credentials audit: could not audit: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours: exit 2, and no message that might quote a value
        print(
            f"vendor-credentials audit: could not audit: internal error ({type(exc).__name__}); "
            "please report it with the command you ran",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(render(report, args.format))
    return report.exit_code
