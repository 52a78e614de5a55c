#!/usr/bin/env bash
# Usage: scripts/build-wasm.sh OUT [--test] [go build flags...]
# Builds zkvault.wasm (./jsbridge) into OUT: the one build command, used by
# `make wasm` and by every test that builds the module, so that the tests run
# what ships. Build tags:
#   zkvault_nogorsa   always: the module leaves RSA to WebCrypto and links no
#                     Go RSA (wasm/prim/native_rsa.go)
#   zkvault_testing   with --test: the exports only tests may call
#                     (jsbridge/testing.go)
set -euo pipefail
out=${1:?usage: build-wasm.sh OUT [--test] [go build flags...]}
shift
tags=zkvault_nogorsa
if [ "${1:-}" = "--test" ]; then
  tags=$tags,zkvault_testing
  shift
fi
cd "$(dirname "$0")/.."
GOOS=js GOARCH=wasm exec "${GO:-go}" build -trimpath -ldflags='-s -w' -tags="$tags" "$@" -o "$out" ./jsbridge
