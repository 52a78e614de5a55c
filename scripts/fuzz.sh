#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each, one after another.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
cd "$(dirname "$0")/.."
found=0
for pkg in $($GO list ./...); do
  for target in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    found=1
    echo "== $pkg $target ($FUZZTIME)"
    $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
  done
done
[ "$found" = 1 ] || { echo "no fuzz targets found"; exit 1; }
