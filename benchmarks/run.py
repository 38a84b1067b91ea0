"""Benchmarks: credentials through the real engine vs the engine's floor vs a plain httpx script.

    .venv/bin/python benchmarks/run.py [--quick] [--repeats N] [--json FILE]
    .venv/bin/python benchmarks/run.py native [--n 100] [--repeats 1] [--workers 16]

Prints Markdown tables of medians on stdout (progress on stderr). Everything is measured in one
run, interleaved (each repeat runs every configuration once), against the vendor emulator in a
child process: see ``benchmarks/suite.py`` for what is measured and ``docs/benchmarks.md`` for a
full run and its reading. Not part of the test suite (no ``test_`` names; pytest never collects
it).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(ROOT))

if __name__ == "__main__":
    if sys.argv[1:2] == ["native"]:  # the native provider path (benchmarks/native.py)
        from benchmarks.native import main as native_main

        sys.exit(native_main(sys.argv[2:]))
    from benchmarks.suite import main

    sys.exit(main(sys.argv[1:]))
