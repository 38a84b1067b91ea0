#!/usr/bin/env bash
# The whole test suite: set up (venv, engine), lint and type-check, then unit and engine tests,
# two workers (engine test modules keep their shared stacks on one worker each).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
.venv/bin/ruff check provider tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadscope "$@"
