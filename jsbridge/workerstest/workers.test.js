// The package in workerd, the runtime of Cloudflare Workers (npm `workerd`: no
// account, no network): worker.js loads the real module (./jsbridge, built as
// `make wasm` builds it) from the WebAssembly.Module the platform gives it, opens
// every frozen vector of the core, and seals values that then open natively.
//
// Needs this directory's npm packages (scripts/ensure-npm.sh jsbridge/workerstest)
// and Go. Run: node --test jsbridge/workerstest/
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { buildWasm, packageDir, vectorData, verifyNative } from "../js/test/helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
// workerd's platform package (package.json says why not npm `workerd` itself).
const platform = { "linux-x64": "linux-64", "linux-arm64": "linux-arm64" }[`${process.platform}-${process.arch}`];
const workerd = platform && join(here, "node_modules", "@cloudflare", `workerd-${platform}`, "bin", "workerd");
const TIMEOUT = { timeout: 300_000 };

let dir;
let child;
let base;
let log = "";

/** A free TCP port on 127.0.0.1 (closed again before workerd binds it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  if (!workerd || !existsSync(workerd)) {
    throw new Error(
      `no workerd binary for ${process.platform}-${process.arch}: run scripts/ensure-npm.sh jsbridge/workerstest ` +
        "(it installs @cloudflare/workerd-linux-64 or -linux-arm64); on other systems add @cloudflare/workerd-<platform> to its package.json",
    );
  }
  const build = await buildWasm();
  assert.ok(build, "Go is needed to build the module");
  // The worker's modules, laid out as in the repository so that the relative
  // imports of worker.js, kit.js and src/*.js resolve unchanged.
  dir = await mkdtemp(join(tmpdir(), "zkvault-workerd-"));
  await mkdir(join(dir, "js", "test"), { recursive: true });
  await mkdir(join(dir, "workerstest"));
  await cp(join(packageDir, "src"), join(dir, "js", "src"), { recursive: true });
  await cp(join(packageDir, "test", "kit.js"), join(dir, "js", "test", "kit.js"));
  await cp(build.wasm, join(dir, "js", "zkvault.wasm"));
  await cp(build.wasmExec, join(dir, "js", "wasm_exec.js"));
  await cp(join(here, "worker.js"), join(dir, "workerstest", "worker.js"));

  const modules = [
    ["workerstest/worker.js", "esModule"],
    ["js/wasm_exec.js", "esModule"],
    ["js/zkvault.wasm", "wasm"],
    ["js/test/kit.js", "esModule"],
    ...(await readdir(join(dir, "js", "src"))).filter((f) => f.endsWith(".js")).map((f) => [`js/src/${f}`, "esModule"]),
  ];
  const port = await freePort();
  await writeFile(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
${modules.map(([name, kind]) => `    (name = "${name}", ${kind} = embed "${name}"),`).join("\n")}
  ],
  compatibilityDate = "2026-11-01",
);
`,
  );
  child = spawn(workerd, ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  base = `http://127.0.0.1:${port}`;
  // workerd listens within a second or two; the first request also starts Go.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(base + "/");
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), { ready: true });
      break;
    } catch (e) {
      if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}):\n${log}`);
      if (Date.now() > deadline) throw new Error(`workerd did not answer: ${e.message}\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});

after(async () => {
  child?.kill("SIGTERM");
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function post(path, body) {
  const res = await fetch(base + path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}\n${log}`);
  return JSON.parse(text);
}

test("the core's frozen vectors (made natively) open in workerd", TIMEOUT, async (t) => {
  const results = await post("/vectors", await vectorData());
  assert.ok(results.length > 100, `${results.length} vectors`);
  for (const r of results) await t.test(`${r.file}: ${r.name}`, () => assert.ok(r.ok, r.detail));
});

test("a field batch opens in workerd, with WebCrypto (workerd refuses compiling the AES-GCM module from bytes)", TIMEOUT, async () => {
  const res = await fetch(base + "/fields");
  const text = await res.text();
  assert.equal(res.status, 200, `${text}\n${log}`);
  const r = JSON.parse(text);
  assert.equal(r.opened, r.n, JSON.stringify(r));
  assert.equal(r.gcm, false, "the AES-GCM module ran in workerd: the docs say it does not");
  assert.deepEqual(r.paths, { gcm: 0, webcrypto: r.n });
});

test("values sealed in workerd open natively", TIMEOUT, async () => {
  const out = await post("/seal");
  assert.equal(out.where, "workerd");
  const file = join(dir, "workerd.json");
  await writeFile(file, JSON.stringify(out));
  assert.match(await verifyNative("check", file), /open natively/);
});
