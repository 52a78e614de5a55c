#!/usr/bin/env bash
# Usage: scripts/ensure-npm.sh DIR
# Runs `npm ci` in DIR when DIR/node_modules is missing or older than
# DIR/package-lock.json, so repeated test runs do not reinstall.
set -euo pipefail
dir=${1:?usage: ensure-npm.sh DIR}
cd "$dir"
[ -f package-lock.json ] || { echo "ensure-npm: no package-lock.json in $dir" >&2; exit 1; }
command -v npm >/dev/null || { echo "ensure-npm: npm is required (Node 20+); none on PATH" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
  touch node_modules
fi
