"""The command line of a committed file generated from the kinds (the schema, the YAML example)."""

from __future__ import annotations

import sys
from pathlib import Path


def print_or_write(argv: list[str], path: Path, text: str) -> int:
    """Print the generated text; with ``--write``, refresh the committed file instead (a test
    fails when the two differ)."""
    if argv[1:] == ["--write"]:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
        return 0
    sys.stdout.write(text)
    return 0
