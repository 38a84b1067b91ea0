#!/usr/bin/env bash
# Set up a fresh machine: virtual environment (pinned by requirements.lock) and the Pulumi engine.
# No PostgreSQL: only the tests need it (scripts/test.sh installs it), never the demo.
# Safe to run again: reuses what is already there.
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $("$PYTHON" --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  echo "[setup] installing the package and pinned dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements.lock -e '.[dev]'
  touch "$stamp"
fi
# Bytecode for our package, as pip writes it for an installed wheel: the editable install runs from
# provider/, and with PYTHONDONTWRITEBYTECODE set (CI images often set it) every plugin process
# would compile our modules again at start. Stale files are ignored by Python (mtime check).
PYTHONDONTWRITEBYTECODE= .venv/bin/python -m compileall -q provider/vendor_credentials >/dev/null
bash scripts/ensure-engine.sh
