#!/usr/bin/env bash
# Usage: scripts/build-wasm.sh OUT [--test] [go build flags...]
# Builds zkvault.wasm (./jsbridge) into OUT: the one build command, used by
# `make wasm` and by every test that builds the module, so that the tests run
# what ships. Build tags:
#   zkvault_nogorsa   always: the module leaves RSA to WebCrypto and links no
#                     Go RSA (wasm/prim/native_rsa.go)
#   zkvault_testing   with --test: the exports only tests may call
#                     (jsbridge/testing.go)
# After linking, internal/wasmdata merges the linker's ~60,000 data segments
# (one per run of non-zero bytes) into a few: the same memory at
# instantiation, about 65 KB less brotli. It also drops the runtime's file
# and line tables (tracebacks then show "?:0" after each function name):
# about 90 KB less brotli.
set -euo pipefail
out=${1:?usage: build-wasm.sh OUT [--test] [go build flags...]}
shift
tags=zkvault_nogorsa
if [ "${1:-}" = "--test" ]; then
  tags=$tags,zkvault_testing
  shift
fi
# Packages that are cold in the browser (formatting, time, reflection, key
# import and PEM, the API checks shared with the server, legacy data, the
# safejs wrappers) are compiled without inlining: -28 KB brotli. The hot
# ones (the runtime, crypto, the core's field, record and index code,
# tinyjson, the bridge's batch loops) keep it: without it they run up to
# twice as slow (wasm benchmarks in Node).
noinline=(fmt internal/fmtsort time reflect math/big encoding/pem os io/fs
  github.com/hack-pad/safejs/... github.com/zkvault/zkvault/api github.com/zkvault/zkvault/wasm/legacy)
gcflags=()
for p in "${noinline[@]}"; do gcflags+=("-gcflags=$p=-l"); done
cd "$(dirname "$0")/.."
go=${GO:-go}
tmp=$(mktemp "${TMPDIR:-/tmp}/zkvault-wasm.XXXXXX")
trap 'rm -f "$tmp"' EXIT
GOOS=js GOARCH=wasm "$go" build -trimpath -ldflags='-s -w' "${gcflags[@]}" -tags="$tags" "$@" -o "$tmp" ./jsbridge
GOOS= GOARCH= "$go" run ./internal/wasmdata "$tmp" "$out"
