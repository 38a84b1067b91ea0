#!/usr/bin/env bash
# The main job: set up (venv, engine), then preview/up/refresh/destroy the example stack against
# the built-in vendor emulator on the local backend, printing the stack's outputs.
# Options go to `vendor-credentials demo`: --stack NAME (default demo), --keep (skip the destroy).
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/vendor-credentials" demo "$@"
