// Shared by the Node suite (test/) and the browser suite (../../browsertest/).

import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { access, copyFile, mkdtemp, readFile } from "node:fs/promises";
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
