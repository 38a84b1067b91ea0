#!/usr/bin/env bash
# Node packages the SDK tests need (the TypeScript compiler, @types/node, and @pulumi/pulumi for
# the generated TypeScript SDK and the Automation API program), from the npm registry into
# .tools/node-sdk, pinned by scripts/node-sdk/package-lock.json. Uses the machine's Node.js and
# npm. Cached: a second run installs nothing; a changed lockfile reinstalls.
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPEC="$ROOT/scripts/node-sdk"
DEST="$ROOT/.tools/node-sdk"
log() { printf '[node-sdk] %s\n' "$*" >&2; }

command -v npm >/dev/null || { log "Node.js and npm are required (apt-get install nodejs npm)"; exit 1; }
stamp="$DEST/.installed-$(cksum < "$SPEC/package-lock.json" | cut -d' ' -f1)"
[ -f "$stamp" ] && [ -d "$DEST/node_modules" ] && exit 0
mkdir -p "$DEST"
cp "$SPEC/package.json" "$SPEC/package-lock.json" "$DEST/"
start=$(date +%s)
log "installing TypeScript and @pulumi/pulumi into $DEST (first run downloads ~130 MB)"
(cd "$DEST" && npm ci --no-audit --no-fund --loglevel=error)
rm -f "$DEST"/.installed-*
touch "$stamp"
log "installed in $(( $(date +%s) - start ))s"
