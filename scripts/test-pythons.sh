#!/usr/bin/env bash
# The unit tests on every other supported Python found on this machine (scripts/pythons.sh), each
# in its own virtual environment in .tools/venvs/pyX.Y (git-ignored, pinned by requirements.lock,
# reused while pyproject.toml and the lock are unchanged). The engine tests run once, in .venv,
# from scripts/test.sh. Prints which versions ran; a version not found is named, not an error.
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[pythons] %s\n' "$*" >&2; }

main="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
found="$(bash scripts/pythons.sh)"
status=0
ran=("$main (.venv: all tests)")
for version in ${SUPPORTED_PYTHONS:-3.11 3.12 3.13}; do
  [ "$version" = "$main" ] && continue
  line="$(awk -v v="$version" '$1 == v' <<<"$found")"
  if [ -z "$line" ]; then
    ran+=("$version: not found, not tested")
    continue
  fi
  read -r _ python full <<<"$line"
  venv=".tools/venvs/py$version"
  stamp="$venv/.installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
    log "Python $full: installing the package and pinned dependencies into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q -c requirements.lock -e '.[dev]'
    touch "$stamp"
  fi
  log "Python $full: unit tests"
  if "$venv/bin/python" -m pytest -m "not engine" -q -p no:cacheprovider -n "${TEST_WORKERS:-2}"; then
    ran+=("$full (unit tests)")
  else
    ran+=("$full (unit tests FAILED)")
    status=1
  fi
done
log "Python versions tested: $(IFS=';'; echo "${ran[*]}" | sed 's/;/; /g')"
exit $status
