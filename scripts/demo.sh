#!/usr/bin/env bash
# The main job: set up (venv, engine), then preview/up/refresh/destroy the example stack against
# the built-in vendor emulator on the local backend, printing the stack's outputs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/vendor-credentials" demo "$@"
