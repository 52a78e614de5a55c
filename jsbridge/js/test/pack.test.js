// The package as an app gets it: `npm pack`, install the tarball into an empty app,
// import "@zkvault/zkvault", and run README.md's Node examples (```js test:node blocks)
// there, against the real zkvault.wasm built from ./jsbridge.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";

import { buildWasm, readmeExamples, stagePackage } from "./helpers.js";

const run = promisify(execFile);
const npm = (args, cwd) => run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd });
const fixture = await buildWasm();
const temps = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "zkvault-pack-"));
  temps.push(d);
  return d;
};
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

test("npm pack refuses to pack without zkvault.wasm", async () => {
  const pkg = await stagePackage(await tempDir(), null);
  await assert.rejects(npm(["pack", "--dry-run"], pkg), /make wasm/);
});

test("npm pack makes a tarball that installs and runs the README's Node examples", { skip: fixture ? false : "no Go toolchain" }, async () => {
  const tmp = await tempDir();
  const pkg = await stagePackage(tmp, fixture);
  const { stdout } = await npm(["pack", "--json", "--pack-destination", tmp], pkg);
  const [{ filename, files }] = JSON.parse(stdout.slice(stdout.indexOf("[")));
  assert.deepEqual(files.map((f) => f.path).sort(), [
    "README.md",
    "index.d.ts",
    "package.json",
    "src/batch.js",
    "src/blob.js",
    "src/fieldcrypto.js",
    "src/fieldopen.js",
    "src/fieldworker.js",
    "src/gcm.js",
    "src/gcmwasm.js",
    "src/idb.js",
    "src/index.js",
    "src/keystore.js",
    "src/loader.js",
    "src/session.js",
    "src/zkvault.js",
    "wasm_exec.js",
    "zkvault.wasm",
  ]);

  const app = join(tmp, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await npm(["install", "--offline", join(tmp, filename)], app);

  const examples = await readmeExamples("node");
  assert.ok(examples.length > 0, "README.md has ```js test:node examples");
  for (const [i, code] of examples.entries()) {
    const file = join(app, `example-${i}.js`);
    await writeFile(file, code);
    const out = await run(process.execPath, [file], { cwd: app });
    assert.match(out.stdout, /\S/, `example ${i} printed something`);
  }
});
