// Shared by the Node suite (test/) and the browser suite (../../browsertest/).

import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { access, copyFile, cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root (the Go module). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The package directory, jsbridge/js. */
export const packageDir = fileURLToPath(new URL("../", import.meta.url));

/**
 * A Backend over a Map that stores structured clones, as IndexedDB does. For Node
 * tests only: the real store is IndexedDB, tested in Chromium.
 */
export function memoryBackend() {
  const m = new Map();
  return {
    map: m,
    get: async (k) => (m.has(k) ? structuredClone(m.get(k)) : undefined),
    put: async (k, v) => void m.set(k, structuredClone(v)),
    delete: async (k) => void m.delete(k),
    keys: async () => [...m.keys()],
  };
}

let fixture;

/**
 * Builds test/testdata/readyfixture (a stand-in for jsbridge/main.go that follows the
 * loader's readiness contract) with GOOS=js GOARCH=wasm, once per process, into a
 * temporary directory beside the wasm_exec.js of the same Go. Resolves with
 * {dir, wasm, wasmExec} (paths), or null when there is no Go toolchain.
 */
export function buildFixture() {
  fixture ??= (async () => {
    let goroot;
    try {
      goroot = (await run("go", ["env", "GOROOT"], { cwd: repoRoot })).stdout.trim();
    } catch {
      return null;
    }
    const dir = await mkdtemp(join(tmpdir(), "zkvault-fixture-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const wasm = join(dir, "zkvault.wasm");
    await run("go", ["build", "-o", wasm, "./jsbridge/js/test/testdata/readyfixture"], {
      cwd: repoRoot,
      env: { ...process.env, GOOS: "js", GOARCH: "wasm" },
    });
    const wasmExec = join(dir, "wasm_exec.js");
    let src = join(goroot, "lib", "wasm", "wasm_exec.js"); // Go 1.24 and later
    try {
      await access(src);
    } catch {
      src = join(goroot, "misc", "wasm", "wasm_exec.js");
    }
    await copyFile(src, wasmExec);
    return { dir, wasm, wasmExec };
  })();
  return fixture;
}

/** The ```js test:KIND blocks of README.md (KIND: node or browser), in order. */
export async function readmeExamples(kind) {
  const md = await readFile(join(packageDir, "README.md"), "utf8");
  return [...md.matchAll(new RegExp("^```js test:" + kind + "\\n([\\s\\S]*?)^```", "gm"))].map((m) => m[1]);
}

let wasmBuild;

/**
 * Builds the real module (./jsbridge, with scripts/build-wasm.sh as `make wasm`, plus
 * the test-only exports of --test) into a temporary directory beside the
 * matching wasm_exec.js, once per process. Resolves
 * with {dir, wasm, wasmExec} (paths), or null when there is no Go toolchain.
 */
export function buildWasm() {
  wasmBuild ??= (async () => {
    const fx = await buildFixture(); // also finds wasm_exec.js
    if (!fx) return null;
    const dir = await mkdtemp(join(tmpdir(), "zkvault-wasm-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const wasm = join(dir, "zkvault.wasm");
    await run(join(repoRoot, "scripts", "build-wasm.sh"), [wasm, "--test"], { cwd: repoRoot });
    const wasmExec = join(dir, "wasm_exec.js");
    await copyFile(fx.wasmExec, wasmExec);
    return { dir, wasm, wasmExec };
  })();
  return wasmBuild;
}

/** Runs jsbridge/internal/verify natively; resolves with its stdout. */
export async function verifyNative(...args) {
  const { stdout } = await run("go", ["run", "./jsbridge/internal/verify", ...args], { cwd: repoRoot });
  return stdout;
}

/** The frozen vectors and test keys of the core, for the shared kit (kit.js). */
export async function vectorData() {
  const dir = join(repoRoot, "wasm", "testdata");
  const data = {};
  for (const f of ["fields", "envelopes", "records", "blobs", "keyrings"]) {
    data[f] = JSON.parse(await readFile(join(dir, `${f}.json`), "utf8"));
  }
  data.pems = {};
  for (const k of ["rsa4096-1", "rsa4096-2", "rsa4096-3"]) data.pems[k] = await readFile(join(dir, `${k}.pk8.pem`), "utf8");
  data.otherHandover = (await verifyNative("handover", "vault-other")).trim();
  return data;
}

/**
 * Copies the package's sources into tmp/pkg as `npm pack` would see them, with
 * the module of build ({wasm, wasmExec}, or null for none). Resolves with the path.
 */
export async function stagePackage(tmp, build) {
  const pkg = join(tmp, "pkg");
  await mkdir(pkg);
  for (const f of ["package.json", "index.d.ts", "README.md", ".gitignore"]) await copyFile(join(packageDir, f), join(pkg, f));
  for (const d of ["src", "scripts"]) await cp(join(packageDir, d), join(pkg, d), { recursive: true });
  if (build) {
    await copyFile(build.wasm, join(pkg, "zkvault.wasm"));
    await copyFile(build.wasmExec, join(pkg, "wasm_exec.js"));
  }
  return pkg;
}

const npm = (args, cwd) => run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd });

/**
 * A copy of examples/embed in tmp/embed with the package (built from the sources, with
 * the real module) installed from its tarball, as a third-party app installs it.
 * Resolves with the app directory.
 */
export async function installEmbedExample(tmp) {
  const build = await buildWasm();
  const pkg = await stagePackage(tmp, build);
  const { stdout } = await npm(["pack", "--json", "--pack-destination", tmp], pkg);
  const [{ filename }] = JSON.parse(stdout.slice(stdout.indexOf("[")));
  const app = join(tmp, "embed");
  await cp(join(repoRoot, "examples", "embed"), app, { recursive: true, filter: (src) => !src.includes("node_modules") });
  const manifest = JSON.parse(await readFile(join(app, "package.json"), "utf8"));
  manifest.dependencies["@zkvault/zkvault"] = `file:${join(tmp, filename)}`;
  await writeFile(join(app, "package.json"), JSON.stringify(manifest, null, 2));
  await npm(["install", "--offline"], app);
  return app;
}

let corpus;

/**
 * The enc:v2 differential corpus, made by Go natively (wasm/field_corpus_test.go
 * writes it), once per process; null without a Go toolchain.
 * @returns {Promise<{spaceId: string, handover: string, fields: object[]} | null>}
 */
export function fieldCorpus() {
  corpus ??= (async () => {
    if (!(await buildFixture())) return null;
    const dir = await mkdtemp(join(tmpdir(), "zkvault-corpus-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, "fieldcorpus.json");
    await run("go", ["test", "-count=1", "-run", "^TestFieldCorpus$", "./wasm", "-args", `-fieldcorpus.out=${out}`], { cwd: repoRoot, maxBuffer: 1 << 24 });
    return JSON.parse(await readFile(out, "utf8"));
  })();
  return corpus;
}
