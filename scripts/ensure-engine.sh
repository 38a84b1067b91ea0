#!/usr/bin/env bash
# Make the `pulumi` CLI (and the dynamic-provider plugin, the native provider plugin's launcher,
# Pulumi YAML's language host and the SDK generators) available in .tools/pulumi/bin.
#
# The CLI's download site is not reachable from our machines, so the engine is built from the Go
# module proxy: a tiny wrapper module requires pkg/v3 and sdk/v3 at PULUMI_VERSION and builds the
# CLI's main package. Safe to run again: a second run builds nothing.
#
#   - a `pulumi` already on PATH that is at least PULUMI_VERSION is used as is (linked into bin/);
#   - otherwise the CLI is built with the machine's Go, version stamped via -ldflags;
#   - pulumi-resource-pulumi-python (the plugin the engine starts for dynamic resources) is copied
#     beside it from the sdk/v3 module, mode 0755.
set -euo pipefail
# --help: the comment above.
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;; esac

PULUMI_VERSION="${PULUMI_VERSION:-3.274.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/pulumi/bin"
SRC="$TOOLS/engine-src"
mkdir -p "$BIN"

log() { printf '[engine] %s\n' "$*" >&2; }

version_of() { "$1" version 2>/dev/null | sed -e 's/^v//' -e 's/[+-].*$//' | head -1; }

# version_ge A B: true when A >= B (dotted numeric versions).
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$2" ]; }

plugin_in_place() { [ -x "$BIN/pulumi-resource-pulumi-python" ] && [ -x "$BIN/pulumi-language-python" ]; }

# Pulumi's Python language host is a nested Go module the proxy refuses (403), so a minimal host
# from this package (vendor_credentials/langhost.py) stands in for it: plain `pulumi up` works.
# It starts in the first Python that has this package (PULUMI_PYTHON_CMD, this project's .venv,
# python3), then moves to the project's runtime.options.virtualenv when Pulumi.yaml names one.
install_language_host() {
  local shim="$BIN/pulumi-language-python" new="$BIN/.pulumi-language-python.new"
  cat > "$new" <<SHIM
#!/bin/sh
# Minimal Python language host (see vendor_credentials/langhost.py); written by
# scripts/ensure-engine.sh.
for py in "\${PULUMI_PYTHON_CMD:-}" "$ROOT/.venv/bin/python" python3; do
  [ -n "\$py" ] || continue
  if "\$py" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("vendor_credentials") is None)' 2>/dev/null; then
    exec "\$py" -u -m vendor_credentials.langhost "\$@"
  fi
done
echo "error: no Python can import vendor_credentials: run scripts/setup.sh, or set PULUMI_PYTHON_CMD to a Python that has it" >&2
exit 1
SHIM
  chmod 0755 "$new"
  if cmp -s "$new" "$shim"; then rm -f "$new"; else mv -f "$new" "$shim"; fi
}

# The native provider plugin (vendor_credentials/native): a launcher running this checkout's
# virtual environment, so any program with $BIN on PATH finds it with no `pulumi plugin install`.
install_provider_launcher() {
  local launcher="$BIN/pulumi-resource-vendor-credentials"
  local want
  want="$(printf '#!/bin/sh\n# Native provider plugin of pulumi-vendor-credentials (%s).\nexec "%s" -u -m vendor_credentials.native "$@"\n' "$ROOT" "$ROOT/.venv/bin/python")"
  [ -x "$launcher" ] && [ "$(cat "$launcher")" = "$want" ] && return 0
  printf '%s\n' "$want" > "$launcher"
  chmod 0755 "$launcher"
}

# Pulumi YAML's language host, from the Go module proxy. pulumi-yaml pins its own pkg/v3 and does
# not compile against newer ones (v1.25.0 vs pkg 3.274: schema.NewPluginLoader and
# plugin.NewContextWithRoot changed), so it is built in its own wrapper module at the versions
# its go.mod asks for. Cached: rebuilt only when the pinned version changes.
PULUMI_YAML_VERSION="${PULUMI_YAML_VERSION:-1.25.0}"
ensure_language_yaml() {
  local stamp="$TOOLS/yaml-src/built-$PULUMI_YAML_VERSION"
  [ -x "$BIN/pulumi-language-yaml" ] && [ -f "$stamp" ] && return 0
  command -v go >/dev/null || { log "Go is required to build pulumi-language-yaml"; return 1; }
  mkdir -p "$TOOLS/yaml-src"
  cat > "$TOOLS/yaml-src/go.mod" <<GOMOD
module vendor-credentials/yaml

go 1.26

// pkg/v3's own go.mod carries this replace; replaces in dependencies are ignored, so copy it.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

require github.com/pulumi/pulumi-yaml v$PULUMI_YAML_VERSION
GOMOD
  printf '//go:build tools\n\npackage yaml\n\nimport _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"\n' \
    > "$TOOLS/yaml-src/tools.go"
  local start
  start=$(date +%s)
  log "building pulumi-language-yaml $PULUMI_YAML_VERSION (first build takes a few minutes)"
  (cd "$TOOLS/yaml-src" && go mod tidy && go build -trimpath -o "$BIN/pulumi-language-yaml" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$PULUMI_YAML_VERSION" \
    github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml)
  touch "$stamp"
  log "built pulumi-language-yaml $PULUMI_YAML_VERSION in $(( $(date +%s) - start ))s"
}

# Stand-ins for Pulumi's Node.js and Go language hosts that only generate SDKs, so
# `pulumi package gen-sdk --language nodejs|go` works: the proxy refuses the real hosts (nested
# modules, 403), but the generators are in pkg/v3 (see scripts/codegen-host/main.go).
ensure_codegen_hosts() {
  local src="$TOOLS/codegen-src" stamp
  stamp="$src/built-$PULUMI_VERSION-$(cksum < "$ROOT/scripts/codegen-host/main.go" | cut -d' ' -f1)"
  [ -x "$BIN/pulumi-language-nodejs" ] && [ -x "$BIN/pulumi-language-go" ] && [ -f "$stamp" ] \
    && return 0
  command -v go >/dev/null || { log "Go is required to build the SDK generators"; return 1; }
  mkdir -p "$src"
  cp "$ROOT/scripts/codegen-host/main.go" "$src/main.go"
  cat > "$src/go.mod" <<GOMOD
module vendor-credentials/codegen-host

go 1.26

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
GOMOD
  log "building the SDK generators (pulumi-language-nodejs, pulumi-language-go stand-ins)"
  (cd "$src" && go mod tidy && go build -trimpath -o "$src/codegen-host" \
    -ldflags "-s -w -X main.version=$PULUMI_VERSION" .)
  install -m 0755 "$src/codegen-host" "$BIN/pulumi-language-nodejs"
  install -m 0755 "$src/codegen-host" "$BIN/pulumi-language-go"
  rm -f "$src"/built-*
  touch "$stamp"
}

install_language_host
install_provider_launcher
ensure_language_yaml
ensure_codegen_hosts
if [ -x "$BIN/pulumi" ] && [ "$(version_of "$BIN/pulumi")" = "$PULUMI_VERSION" ] && plugin_in_place; then
  log "pulumi $PULUMI_VERSION already in $BIN (cached)"
  exit 0
fi

# A pulumi on PATH (outside our tools dir) that is new enough is used as is.
if existing="$(command -v pulumi 2>/dev/null)" && [ "$(dirname "$existing")" != "$BIN" ]; then
  have="$(version_of "$existing")"
  if [ -n "$have" ] && version_ge "$have" "$PULUMI_VERSION"; then
    log "using pulumi $have from $existing"
    ln -sf "$existing" "$BIN/pulumi"
    dir="$(dirname "$(readlink -f "$existing")")"
    if [ -x "$dir/pulumi-resource-pulumi-python" ]; then
      ln -sf "$dir/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
      exit 0
    fi
  fi
fi

command -v go >/dev/null || { log "Go is required to build the engine (none on PATH)"; exit 1; }

mkdir -p "$SRC"
cat > "$SRC/go.mod" <<GOMOD
module vendor-credentials/engine

go 1.26

// pkg/v3's own go.mod carries this replace; replaces in dependencies are ignored, so copy it.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
GOMOD
cat > "$SRC/tools.go" <<'GOSRC'
//go:build tools

// Package engine only pins the Pulumi CLI's main package as a dependency of this module.
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GOSRC

start=$(date +%s)
cd "$SRC"
if [ ! -f go.sum ] || ! grep -q "github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION " go.sum; then
  log "resolving pulumi $PULUMI_VERSION modules (first run downloads them from the Go module proxy)"
fi
# Every time: go.mod was just rewritten in its short form, which `go build` refuses ("updates to
# go.mod needed") even when go.sum is complete (a rebuild after the binary was removed).
go mod tidy
log "building pulumi $PULUMI_VERSION (first build takes several minutes on 2 cores)"
go build -trimpath -o "$BIN/pulumi" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

sdk_dir="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
for f in pulumi-resource-pulumi-python pulumi-analyzer-policy-python; do
  if [ -f "$sdk_dir/python/dist/$f" ]; then
    install -m 0755 "$sdk_dir/python/dist/$f" "$BIN/$f"
  fi
done
plugin_in_place || { log "pulumi-resource-pulumi-python not found in $sdk_dir/python/dist"; exit 1; }
log "built $("$BIN/pulumi" version) in $(( $(date +%s) - start ))s; $(du -sh "$TOOLS/pulumi" | cut -f1) in $BIN"
