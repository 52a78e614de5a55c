# zkvault — one way to do each thing.
#   make run    build everything and serve the dashboard with an embedded database
#   make test   every test (Go natively; more suites join as they exist)
#   make bench  benchmarks: a table, and one JSON file per result under bench/results/
#   make fuzz   every fuzz target for FUZZTIME each
#   make lint   go vet and gofmt
#   make wasm   the WebAssembly module

GO        ?= go
FUZZTIME  ?= 20s
BENCHTIME ?= 1s
export ZKVAULT_WYCHEPROOF ?=

.PHONY: all run test test-go test-wasm test-js test-browser test-workers test-spec bench fuzz lint wasm pack clean
JS := jsbridge/js

all: test

# Builds the one binary and serves the dashboard and the API with the database in
# ./data (flags or ZKVAULT_ADDR / ZKVAULT_DATA change that).
run: wasm
	$(GO) build -o bin/zkvault ./cmd/zkvault
	./bin/zkvault serve

test: lint test-go test-wasm test-spec test-js test-browser test-workers

test-go:
	$(GO) test -count=1 ./...

# The crypto core's suites again, compiled to WebAssembly and run in Node on
# the WebCrypto provider (every vector also on the pure-Go one).
WASM_EXEC = $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./wasm/...

# An independent JavaScript implementation written from docs/spec alone, run
# against the frozen vectors: the spec must be enough to interoperate.
test-spec:
	./scripts/ensure-npm.sh docs/spec/interop
	cd docs/spec/interop && node --test

# The JavaScript package's node:test suite, and its browser suite in Debian's
# chromium driven by playwright-core (installed by the scripts when missing).
test-js:
	./scripts/ensure-npm.sh $(JS)
	cd $(JS) && npm test && npm run check:types

test-browser:
	./scripts/ensure-npm.sh $(JS)
	./scripts/ensure-chromium.sh >/dev/null
	cd $(JS) && npm run test:browser
	node --test --test-concurrency=1 static/test/dashboard.test.js static/test/e2e-ingest.test.js

# The package in workerd, the Cloudflare Workers runtime (npm workerd: no account,
# no network): the core's vectors open there and what it seals opens natively.
test-workers:
	./scripts/ensure-npm.sh jsbridge/workerstest
	cd jsbridge/workerstest && npm test

lint:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./jsbridge/...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	 if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Go benchmarks, then the browser runtime's in Chromium (bench/browser), then the
# report: a table and bench/results/*.json, every goal a ratio against a baseline
# measured in the same run.
bench: wasm
	@mkdir -p bench/results
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem ./... | tee bench/results/go-bench.txt
	./scripts/ensure-npm.sh $(JS)
	./scripts/ensure-chromium.sh >/dev/null
	node bench/browser/run.mjs -out bench/results/browser.json
	$(GO) run ./bench/report -in bench/results/go-bench.txt -json bench/results/browser.json -goals bench/goals -out bench/results

fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./scripts/fuzz.sh

# The WebAssembly module and Go's wasm_exec.js, into the JS package, and the
# package into static/pkg/ for the dashboard the binary embeds.
wasm:
	GO=$(GO) ./scripts/build-wasm.sh $(JS)/zkvault.wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(JS)/wasm_exec.js
	cp $(JS)/zkvault.wasm $(JS)/wasm_exec.js $(JS)/src/*.js static/pkg/

# An installable tarball of the JS package (@zkvault/zkvault), for embedding apps.
pack: wasm
	cd $(JS) && npm pack

clean:
	rm -rf bench/results
