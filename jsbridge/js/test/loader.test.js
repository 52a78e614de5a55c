// The loader's argument handling and error paths, with a fake Go runtime; then the
// readiness contract end to end with a real Go program (test/testdata/readyfixture)
// under Node. The tests run in order: the first ones need globalThis.Go undefined.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { DEFAULT_READY_TIMEOUT_MS, loadModule as load, READY_ENV, READY_PREFIX } from "../src/index.js";
import { buildFixture } from "./helpers.js";

// The smallest valid module: magic and version, no sections.
const emptyWasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A Go runtime whose run does what behave(go) says. */
function fakeGo(behave) {
  return class {
    argv = ["js"];
    env = {};
    exit = () => {};
    importObject = {};
    constructor() {
      fakeGo.last = this;
    }
    run(instance) {
      assert.ok(instance instanceof WebAssembly.Instance);
      return behave(this);
    }
  };
}

const ready = (api) => (go) => {
  globalThis[go.env[READY_ENV]](api);
  return new Promise(() => {}); // blocks forever, as Go's main does
};

const fixture = await buildFixture();

test("without globalThis.Go, a wasm_exec.js that cannot be loaded is reported", async () => {
  assert.equal(globalThis.Go, undefined);
  await assert.rejects(load({ wasm: emptyWasm, wasmExec: new URL("./missing/wasm_exec.js", import.meta.url) }), /cannot load Go's wasm_exec.js/);
  const notGo = join(fixture?.dir ?? ".", "not-go.mjs");
  await writeFile(notGo, "export {};\n");
  await assert.rejects(load({ wasm: emptyWasm, wasmExec: pathToFileURL(notGo) }), /did not define globalThis.Go/);
  await assert.rejects(load({ wasm: emptyWasm, wasmExec: 42 }), /wasmExec must be a URL/);
});

test("option checks", async () => {
  const Go = fakeGo(ready({}));
  await assert.rejects(load(null), TypeError);
  await assert.rejects(load("zkvault.wasm"), TypeError);
  await assert.rejects(load({ Go, wasm: emptyWasm, timeout: 5 }), /unknown load option "timeout"/);
  await assert.rejects(load({ Go, module: emptyWasm }), /options.module must be a WebAssembly.Module/);
  await assert.rejects(load({ Go, module: new WebAssembly.Module(emptyWasm), wasm: emptyWasm }), /not both/);
  for (const timeoutMs of [0, -1, NaN, "5"]) {
    await assert.rejects(load({ Go, wasm: emptyWasm, timeoutMs }), RangeError);
  }
  await assert.rejects(load({ Go: {}, wasm: emptyWasm }), /options.Go must be the Go class/);
  await assert.rejects(load({ Go, wasm: 42 }), /options.wasm must be/);
  await assert.rejects(load({ Go, wasm: { then: (f) => f({}) } }), /did not give a Response/);
  assert.equal(DEFAULT_READY_TIMEOUT_MS, 30_000);
});

test("resolves with the API the Go side hands over, and removes the callback", async () => {
  const api = { version: "fake" };
  const got = await load({ Go: fakeGo(ready(api)), wasm: emptyWasm });
  assert.equal(got, api);
  const go = fakeGo.last;
  assert.deepEqual(go.argv, ["zkvault"]);
  const name = go.env[READY_ENV];
  assert.match(name, new RegExp(`^${READY_PREFIX}[0-9a-f]{32}$`));
  assert.equal(name in globalThis, false);
  assert.equal(Object.keys(globalThis).filter((k) => k.startsWith(READY_PREFIX)).length, 0);
});

test("every load gets its own callback name", async () => {
  const names = [];
  const Go = fakeGo((go) => {
    names.push(go.env[READY_ENV]);
    return ready({})(go);
  });
  await Promise.all([load({ Go, wasm: emptyWasm }), load({ Go, wasm: emptyWasm })]);
  assert.notEqual(names[0], names[1]);
});

test("module sources: bytes, Module, Response (either MIME type), path, file: URL", async () => {
  const Go = fakeGo(ready({}));
  const tmp = join(fixture?.dir ?? process.cwd(), "empty.wasm");
  await writeFile(tmp, emptyWasm);
  const sources = {
    bytes: emptyWasm,
    arrayBuffer: emptyWasm.slice().buffer,
    module: undefined,
    wasmResponse: new Response(emptyWasm, { headers: { "content-type": "application/wasm" } }),
    wrongMimeResponse: new Response(emptyWasm, { headers: { "content-type": "application/octet-stream" } }),
    promisedResponse: Promise.resolve(new Response(emptyWasm, { headers: { "content-type": "application/wasm" } })),
    path: tmp,
    fileURL: pathToFileURL(tmp),
    fileURLString: pathToFileURL(tmp).href,
  };
  for (const [what, wasm] of Object.entries(sources)) {
    const opts = what === "module" ? { Go, module: new WebAssembly.Module(emptyWasm) } : { Go, wasm };
    assert.deepEqual(await load(opts), {}, what);
  }
});

test("error paths", async (t) => {
  await t.test("HTTP error", async () => {
    await assert.rejects(load({ Go: fakeGo(ready({})), wasm: new Response("no", { status: 404 }) }), /HTTP 404/);
  });
  await t.test("missing file", async () => {
    await assert.rejects(load({ Go: fakeGo(ready({})), wasm: "/nonexistent/zkvault.wasm" }), /ENOENT/);
  });
  await t.test("not WebAssembly", async () => {
    await assert.rejects(load({ Go: fakeGo(ready({})), wasm: new Uint8Array([1, 2, 3]) }), WebAssembly.CompileError);
  });
  await t.test("exits before ready", async () => {
    const Go = fakeGo(async (go) => go.exit(3));
    await assert.rejects(load({ Go, wasm: emptyWasm }), /exited before it was ready \(exit code 3\)/);
  });
  await t.test("run throws", async () => {
    const Go = fakeGo(async () => {
      throw new Error("boom");
    });
    await assert.rejects(load({ Go, wasm: emptyWasm }), (err) => /failed while starting/.test(err.message) && err.cause.message === "boom");
  });
  await t.test("never ready", async () => {
    const Go = fakeGo(() => new Promise(() => {}));
    const start = Date.now();
    await assert.rejects(load({ Go, wasm: emptyWasm, timeoutMs: 50 }), /did not signal readiness within 50 ms/);
    assert.ok(Date.now() - start < 1000);
    assert.equal(Object.keys(globalThis).filter((k) => k.startsWith(READY_PREFIX)).length, 0);
  });
  await t.test("ready without an API object", async () => {
    await assert.rejects(load({ Go: fakeGo(ready(null)), wasm: emptyWasm }), /without an API object/);
    await assert.rejects(load({ Go: fakeGo(ready("api")), wasm: emptyWasm }), /without an API object/);
  });
});

test("real Go program: the readiness contract, end to end", { skip: fixture ? false : "no Go toolchain" }, async (t) => {
  const opts = { wasm: fixture.wasm, wasmExec: pathToFileURL(fixture.wasmExec) };
  const mode = async (m, fn) => {
    globalThis.__zkvaultFixtureMode = m;
    try {
      return await fn();
    } finally {
      delete globalThis.__zkvaultFixtureMode;
    }
  };
  await t.test("ready", async () => {
    const api = await load(opts);
    assert.equal(api.version, "readyfixture");
    assert.equal(api.echo("hello"), "hello");
    assert.match(api.readyName, new RegExp(`^${READY_PREFIX}[0-9a-f]{32}$`));
    assert.equal(api.readyName in globalThis, false);
    assert.equal(typeof globalThis.Go, "function"); // loaded from wasmExec
  });
  await t.test("two runtimes side by side", async () => {
    const [a, b] = await Promise.all([load(opts), load(opts)]);
    assert.notEqual(a.readyName, b.readyName);
    assert.equal(b.echo(7), 7);
  });
  await t.test("os.Exit before ready", () =>
    mode("exit", () => assert.rejects(load(opts), /exited before it was ready \(exit code 3\)/)));
  await t.test("main returns before ready", () =>
    mode("return", () => assert.rejects(load(opts), /exited before it was ready \(exit code 0\)/)));
  await t.test("panic before ready", () =>
    mode("panic", () => assert.rejects(load(opts), /exited before it was ready \(exit code 2\)/)));
  await t.test("blocks without signalling", () =>
    mode("hang", () => assert.rejects(load({ ...opts, timeoutMs: 200 }), /did not signal readiness/)));
  await t.test("signals with a number", () =>
    mode("not-object", () => assert.rejects(load(opts), /without an API object/)));
  await t.test("a wasm_exec.js that does not fit", async () => {
    await assert.rejects(load({ ...opts, Go: fakeGo(ready({})) }), /both must come from the same Go release/);
  });
});
