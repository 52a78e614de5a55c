#!/usr/bin/env node
// The browser benchmarks of `make bench`: zkvault.wasm through the JS package in
// headless Chromium, each against a hand-written plain-JS WebCrypto baseline run in
// the same browser, alternately, several times (the median counts). Writes
// bench/results/browser.json (an array of {benchmark, metric, value}, what
// `go run ./bench/report -json` reads; goals in bench/goals/browser.json) and prints
// a table.
//
//   node bench/browser/run.mjs [-reps 5] [-out bench/results/browser.json] [-only fields,index,rsa,unlock,blob,load,size,dashboard] [-profile FILE.cpuprofile]
//
// Builds nothing: run `make wasm` first (jsbridge/js/zkvault.wasm and wasm_exec.js).
// Needs Debian's chromium (CHROMIUM=/path overrides) and jsbridge/js's
// devDependencies (playwright-core; it never downloads a browser).

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zc } from "node:zlib";

const here = fileURLToPath(new URL(".", import.meta.url));
const repo = normalize(join(here, "..", ".."));
const pkgDir = join(repo, "jsbridge", "js");
const pagesDir = join(here, "pages");
const { chromium } = createRequire(join(pkgDir, "package.json"))("playwright-core");

// ---- options

const opts = { reps: 5, out: join(repo, "bench", "results", "browser.json"), only: null };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i].replace(/^--?/, "");
  const v = process.argv[++i];
  if (a === "reps") opts.reps = Number(v);
  else if (a === "out") opts.out = v;
  else if (a === "only") opts.only = new Set(v.split(","));
  else if (a === "profile") opts.profile = v;
  else {
    console.error(`unknown option ${process.argv[i - 1]}`);
    process.exit(2);
  }
}
const want = (g) => !opts.only || opts.only.has(g);

for (const f of ["zkvault.wasm", "wasm_exec.js"]) {
  if (!existsSync(join(pkgDir, f))) {
    console.error(`bench/browser: ${join("jsbridge/js", f)} is missing: run \`make wasm\` first`);
    process.exit(2);
  }
}

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Heap numbers unrounded, and gc() before each run and memory measurement.
  "--enable-precise-memory-info",
  "--js-flags=--expose-gc",
];

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    console.error("bench/browser: no chromium on PATH (scripts/ensure-chromium.sh installs Debian's)");
    process.exit(2);
  }
}
const executablePath = findChromium();

// ---- the static server: the package under /pkg/, the pages under /pages/, every
// response under the CSP apps use. The package's files are cacheable (as an app
// would serve them), so that a reload can take the module from the HTTP cache and
// its compiled code from Chromium's code cache; pages are not.

const CSP = "script-src 'self' 'wasm-unsafe-eval'";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

function under(root, p) {
  const f = normalize(join(root, p));
  return f.startsWith(root.endsWith(sep) ? root : root + sep) ? f : null;
}

async function serve() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/favicon.ico") {
      res.writeHead(204, { "content-security-policy": CSP });
      res.end();
      return;
    }
    let file = null;
    let cache = "no-store";
    let m;
    if ((m = path.match(/^\/pkg\/(src\/[\w.-]+\.js|zkvault\.wasm|wasm_exec\.js)$/))) {
      file = join(pkgDir, m[1]);
      cache = "public, max-age=86400";
    } else if ((m = path.match(/^\/pages\/(.+)$/))) file = under(pagesDir, m[1]);
    const headers = { "content-security-policy": CSP, "cache-control": cache };
    try {
      if (file && (await stat(file)).isFile()) {
        const body = await readFile(file);
        res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(body);
        return;
      }
    } catch {}
    res.writeHead(404, { ...headers, "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) };
}

// ---- results

/** benchmark → metric → samples */
const samples = new Map();
const notes = {};
function add(bench, metric, v) {
  const name = `browser.${bench}`;
  if (!samples.has(name)) samples.set(name, new Map());
  const m = samples.get(name);
  if (!m.has(metric)) m.set(metric, []);
  m.get(metric).push(v);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

// ---- browser

async function withBrowser(f) {
  const dir = await mkdtemp(join(tmpdir(), "zkvault-bench-"));
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args: ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") console.error(`console: ${msg.text()}`);
  });
  try {
    return await f(page, context);
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function open(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 120_000 });
}

/**
 * Runs the benchmarks of a group alternately, reps times after one warm-up round;
 * the order rotates every round so that no side always runs first. Each run starts
 * after a full garbage collection (gc(), --expose-gc): otherwise each side pays, at
 * random, for collecting what the other left (10,000 promises and buffers, or 10 MB
 * of text), and single runs of the field benchmarks swung by a factor of two.
 */
async function alternate(page, names, reps, record) {
  for (let r = -1; r < reps; r++) {
    const k = ((r % names.length) + names.length) % names.length;
    const order = [...names.slice(k), ...names.slice(0, k)];
    for (const name of order) {
      await page.evaluate(() => globalThis.gc?.());
      const res = await page.evaluate((n) => window.bench[n](), name);
      if (r >= 0) record(name, res);
    }
  }
}

/**
 * With -profile FILE: three more runs of bench under Chromium's CPU profiler (the
 * page's thread), written to FILE (a .cpuprofile for DevTools), and the functions
 * with the most self time printed.
 */
async function profile(page, bench, file) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  for (let i = 0; i < 3; i++) await page.evaluate((n) => window.bench[n](), bench);
  const { profile: prof } = await cdp.send("Profiler.stop");
  await writeFile(file, JSON.stringify(prof));
  const self = new Map();
  const dt = new Map();
  for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  let total = 0;
  for (const n of prof.nodes) {
    const t = (dt.get(n.id) ?? 0) / 1000;
    const f = n.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + t);
    if (f.functionName !== "(idle)" && f.functionName !== "(program)") total += t;
  }
  console.log(`profile of 3 × ${bench} (${file}): self time, ms (of ${total.toFixed(0)} ms busy)`);
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${t.toFixed(1).padStart(8)}  ${k}`);
}

// ---- the groups

const N = 10_000;

async function moduleSize() {
  const files = [join(pkgDir, "zkvault.wasm"), join(pkgDir, "wasm_exec.js")];
  for (const f of await readdir(join(pkgDir, "src"))) if (f.endsWith(".js")) files.push(join(pkgDir, "src", f));
  let total = 0;
  let raw = 0;
  let wasm = 0;
  for (const f of files) {
    const b = await readFile(f);
    const n = brotliCompressSync(b, {
      params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: b.length, [zc.BROTLI_PARAM_LGWIN]: 24 },
    }).length;
    total += n;
    raw += b.length;
    if (f.endsWith(".wasm")) wasm = n;
  }
  add("ModuleSize", "KB", total / 1000);
  add("ModuleSizeWasm", "KB", wasm / 1000);
  add("ModuleSizeRaw", "KB", raw / 1000);
}

async function throughput(origin) {
  await withBrowser(async (page) => {
    await open(page, `${origin}/pages/bench.html`);
    if (want("fields")) {
      await page.evaluate(() => window.bench.setup("fields"));
      const reps = [];
      await alternate(page, ["FieldsOpen10k", "BaselineWebCryptoInFlight", "BaselineWebCryptoSerial", "BaselineWebCryptoInFlightText"], opts.reps, (n, r) => {
        add(n, "ops/s", (r.n * 1000) / r.ms);
        if (n === "FieldsOpen10k") reps.push(`${Math.round((r.n * 1000) / r.ms)}${r.worker ? ` (worker ${Math.round(100 * r.share)}%)` : " (page only)"}`);
      });
      notes.fieldsReps = reps.join(", ");
      if (opts.profile) await profile(page, "FieldsOpen10k", opts.profile);
    }
    if (want("index")) {
      await page.evaluate(() => window.bench.setup("index"));
      await alternate(page, ["IndexValues10k", "BaselineHMACSerial", "BaselineHMACInFlight"], opts.reps, (n, r) => add(n, "ops/s", (r.n * 1000) / r.ms));
      if (opts.profile) await profile(page, "IndexValues10k", opts.profile.replace(/(\.cpuprofile)?$/, "-index$1"));
    }
    if (want("rsa")) {
      // Key generation time varies a lot from key to key (the search for primes:
      // 200 ms to 3 s here), so the median needs many samples: with 11, runs of the
      // same code gave ratios from 0.9 to 2.0.
      await alternate(page, ["RSAGenerate", "BaselineRSAGenerate"], Math.max(41, 2 * opts.reps + 1), (n, r) => add(n, "ms", r.ms));
    }
    if (want("unlock")) {
      notes.unlockParams = await page.evaluate(() => window.bench.setup("unlock"));
      await alternate(page, ["UnlockArgon2id"], opts.reps, (n, r) => add(n, "ms", r.ms));
    }
  });
}

async function blobs(origin) {
  const MiB = 1 << 20;
  const runs = [
    { bench: "BlobEncrypt64MiB", impl: "zk", size: 64 * MiB },
    { bench: "BaselineBlobInFlight", impl: "web", size: 64 * MiB, inflight: 8 },
    { bench: "BaselineBlobSerial", impl: "web", size: 64 * MiB, inflight: 1 },
    { bench: "BlobEncrypt16MiB", impl: "zk", size: 16 * MiB },
    { bench: "BaselineBlobInFlight16MiB", impl: "web", size: 16 * MiB, inflight: 8 },
  ];
  await withBrowser(async (page) => {
    // Throughput: nothing sampled during the run.
    for (let r = -1; r < opts.reps; r++) {
      const k = ((r % runs.length) + runs.length) % runs.length;
      for (const run of [...runs.slice(k), ...runs.slice(0, k)]) {
        await open(page, `${origin}/pages/blob.html`); // a fresh module for each blob
        const res = await page.evaluate((a) => window.runBlob(a), run);
        if (r >= 0) add(run.bench, "MB/s", run.size / 1e6 / (res.ms / 1000));
      }
    }
    // Memory: separate runs that collect garbage after every MiB of output and
    // sample the live JS heap then; the module's memory growth is exact.
    const mem = runs.filter((r) => r.bench !== "BaselineBlobSerial");
    for (let r = 0; r < opts.reps; r++) {
      for (const run of mem) {
        await open(page, `${origin}/pages/blob.html`);
        const res = await page.evaluate((a) => window.runBlob({ ...a, memory: true }), run);
        add(run.bench, "peak-heap-MiB", (res.heapGrowth + res.wasmGrowth) / MiB);
        add(run.bench, "js-heap-MiB", res.heapGrowth / MiB);
        if (run.impl === "zk") {
          add(run.bench, "wasm-growth-MiB", res.wasmGrowth / MiB);
          add(run.bench, "wasm-memory-MiB", res.wasmBytes / MiB);
        }
      }
    }
  });
}

async function loads(origin) {
  const wait = (ms) => new Promise((ok) => setTimeout(ok, ms));
  const once = async (page, mode) => {
    await page.goto(`${origin}/pages/load.html?mode=${mode}`);
    await page.waitForFunction(() => window.loadResult !== undefined, null, { timeout: 120_000 });
    const r = await page.evaluate(() => window.loadResult);
    if (r.error) throw new Error(`load page: ${r.error}`);
    return r;
  };
  for (let r = 0; r < opts.reps; r++) {
    // A fresh profile: nothing in the HTTP cache or the code cache.
    await withBrowser(async (page) => {
      const cold = await once(page, "default");
      add("LoadCold", "ms", cold.ms);
      add("LoadColdInstantiate", "ms", cold.marks.loaded - cold.marks.imported);
      // Later loads in the same profile: the module from the HTTP cache, its code
      // from the code cache once Chromium has written it (asynchronously).
      for (let i = 2; i <= 4; i++) {
        await page.goto("about:blank");
        await wait(1500);
        const c = await once(page, "default");
        add(i === 2 ? "LoadCached2nd" : i === 3 ? "LoadCached" : "LoadCached4th", "ms", c.ms);
        if (i === 3) add("LoadCachedInstantiate", "ms", c.marks.loaded - c.marks.imported);
      }
      // Where a cached load's time goes: compiling (from the code cache) against
      // starting the Go runtime and its main.
      await page.goto("about:blank");
      await wait(500);
      const ph = await once(page, "phases");
      add("LoadCachedCompile", "ms", ph.marks.module - ph.marks.imported);
      add("LoadCachedGoStart", "ms", ph.marks.loaded - ph.marks.module);
      // The best path the package allows: a Module kept in IndexedDB, passed as load({module}).
      await page.goto("about:blank");
      const first = await once(page, "idb");
      const again = await once(page, "idb");
      notes.idb = { first: first.from, stored: first.stored, again: again.from };
      add("LoadCachedModuleIDB", "ms", again.ms);
    });
  }
}

// The dashboard's first page of 1,000 WhatsApp messages (pages/dashboard.js): zkvault
// against the reference dashboard's PBKDF2-before-every-decryption, extrapolated
// from its first 50 messages (README.md).
async function dashboard(origin) {
  await withBrowser(async (page) => {
    await open(page, `${origin}/pages/dashboard.html`);
    notes.dashboard = await page.evaluate(() => window.bench.info());
    // The very first call after setup (no warm-up round), reported apart.
    add("DashboardFirstPage1000", "first-call-ms", (await page.evaluate(() => window.bench.DashboardFirstPage1000())).ms);
    await alternate(page, ["DashboardFirstPage1000", "BaselineLegacyFirstPage1000"], opts.reps, (n, r) => {
      add(n, "ms", r.ms);
      add(n, "render-ms", r.renderMs);
      if (r.openMs !== undefined) add(n, "decrypt-ms", r.openMs);
      if (r.perValueMs !== undefined) add(n, "ms/decryption", r.perValueMs);
    });
  });
}

// ---- main

const t0 = Date.now();
const { origin, close } = await serve();
try {
  if (want("size")) await moduleSize();
  if (["fields", "index", "rsa", "unlock"].some(want)) await throughput(origin);
  if (want("blob")) await blobs(origin);
  if (want("load")) await loads(origin);
  if (want("dashboard")) await dashboard(origin);
} finally {
  await close();
}

const out = [];
for (const [bench, metrics] of samples) {
  for (const [metric, xs] of metrics) {
    out.push({ benchmark: bench, metric, value: +median(xs).toPrecision(6), samples: xs.map((x) => +x.toPrecision(6)) });
  }
}
await mkdir(join(opts.out, ".."), { recursive: true });
await writeFile(opts.out, JSON.stringify(out, null, 2) + "\n");

const version = execFileSync(executablePath, ["--version"], { encoding: "utf8" }).trim();
console.log(`\nbrowser benchmarks: ${version}, median of ${opts.reps} (RSA ${Math.max(11, 2 * opts.reps + 1)}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${"benchmark".padEnd(40)} ${"metric".padEnd(16)} ${"median".padStart(12)} ${"min".padStart(12)} ${"max".padStart(12)}`);
for (const r of out) {
  const f = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2)).padStart(12);
  console.log(`${r.benchmark.padEnd(40)} ${r.metric.padEnd(16)} ${f(r.value)} ${f(Math.min(...r.samples))} ${f(Math.max(...r.samples))}`);
}
if (notes.fieldsReps) console.log("FieldsOpen10k per repetition, ops/s:", notes.fieldsReps);
if (notes.unlockParams) console.log("unlock envelope:", JSON.stringify(notes.unlockParams));
if (notes.dashboard) console.log("dashboard page:", JSON.stringify(notes.dashboard));
if (notes.idb) console.log("compiled module in IndexedDB:", JSON.stringify(notes.idb));
console.log(`wrote ${opts.out}`);
