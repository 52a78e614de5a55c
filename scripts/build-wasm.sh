#!/usr/bin/env bash
# Usage: scripts/build-wasm.sh OUT [go build flags...]
# Builds zkvault.wasm (./jsbridge) into OUT: the one build command, used by
# `make wasm` and by every test that builds the module, so that the tests run
# the flags that ship. Extra flags go to go build; the test suites add
# -tags=zkvault_testing, which adds the exports that only tests may call
# (jsbridge/testing.go).
set -euo pipefail
out=${1:?usage: build-wasm.sh OUT [go build flags...]}
shift
cd "$(dirname "$0")/.."
GOOS=js GOARCH=wasm exec "${GO:-go}" build -trimpath -ldflags='-s -w' "$@" -o "$out" ./jsbridge
