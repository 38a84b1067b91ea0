#!/usr/bin/env bash
# Find the Python interpreters the project supports (3.11, 3.12, 3.13) on this machine.
#
#   scripts/pythons.sh    one line per version found: "3.12 /path/to/python3.12 3.12.1"
#
# Looks on PATH (python3.X), then in pyenv's versions ($PYENV_ROOT or ~/.pyenv), then in
# /usr/local/bin and /usr/bin. Each candidate must run and report that version (a pyenv shim
# without the version installed does not count). A version found nowhere is left out: never an
# error, the caller says which ran.
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac
SUPPORTED="${SUPPORTED_PYTHONS:-3.11 3.12 3.13}"

reports() {  # reports PYTHON X.Y: "<real executable> <full version>" when PYTHON runs as X.Y
  "$1" -c 'import sys; v = sys.version_info; print("%d.%d" % v[:2], sys.executable, "%d.%d.%d" % v[:3])' \
    2>/dev/null | awk -v want="$2" '$1 == want { print $2, $3 }'
}

for version in $SUPPORTED; do
  candidates=()
  if found="$(command -v "python$version" 2>/dev/null)"; then candidates+=("$found"); fi
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin; do
    [ -x "$dir/python$version" ] && candidates+=("$dir/python$version")
  done
  candidates+=("/usr/local/bin/python$version" "/usr/bin/python$version")
  for python in "${candidates[@]}"; do
    [ -x "$python" ] || continue
    found="$(reports "$python" "$version" || true)"
    if [ -n "$found" ]; then
      echo "$version $found"
      break
    fi
  done
done
