#!/usr/bin/env bash
# The whole test suite: set up (venv, engine, PostgreSQL), lint and type-check, then unit and
# engine tests on two workers (engine test modules keep their shared stacks on one worker each),
# then the unit tests again on every other supported Python found (scripts/test-pythons.sh).
# Extra arguments go to pytest, in .venv only; TEST_OTHER_PYTHONS=0 skips the other versions.
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/postgres.sh" install  # for the postgres:// state tests (test_postgres*.py)
cd "$ROOT"
.venv/bin/ruff check provider tests benchmarks
.venv/bin/mypy
if [ $# -gt 0 ] || [ "${TEST_OTHER_PYTHONS:-1}" = 0 ]; then
  exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadscope "$@"
fi
status=0
.venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadscope || status=$?
bash scripts/test-pythons.sh || status=1
exit $status
