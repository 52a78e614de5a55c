// Load to first call: from the start of the navigation (performance.now() is
// relative to it) to the first exported call returning. ?mode=
//   default   load() as the package does it: compileStreaming(fetch(url)) started
//             before wasm_exec.js is imported, which Chromium's code cache serves
//             compiled on later loads when the response comes from the HTTP cache
//   phases    the same work split in two: WebAssembly.compileStreaming(fetch(url))
//             (served from the code cache when cached), then load({module}): the Go
//             runtime's start and the module's main until the API is ready
//   idb       the compiled WebAssembly.Module kept in IndexedDB and passed as
//             load({module}) (Chromium no longer lets a Module be stored: the attempt
//             is reported)
const mode = new URLSearchParams(location.search).get("mode") ?? "default";
const marks = { scriptStart: performance.now() };

async function idbModule() {
  const open = () =>
    new Promise((ok, fail) => {
      const r = indexedDB.open("zkvault-bench", 1);
      r.onupgradeneeded = () => r.result.createObjectStore("m");
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
  const db = await open();
  const get = () =>
    new Promise((ok, fail) => {
      const r = db.transaction("m").objectStore("m").get("zkvault.wasm");
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
  let m = await get();
  if (m instanceof WebAssembly.Module) return { module: m, from: "idb" };
  m = await WebAssembly.compileStreaming(fetch("/pkg/zkvault.wasm"));
  let stored = "stored";
  try {
    await new Promise((ok, fail) => {
      const t = db.transaction("m", "readwrite");
      t.objectStore("m").put(m, "zkvault.wasm");
      t.oncomplete = ok;
      t.onerror = () => fail(t.error);
    });
  } catch (e) {
    stored = `${e.name}: ${e.message}`;
  }
  return { module: m, from: "compiled", stored };
}

try {
  const { load } = await import("/pkg/src/index.js");
  marks.imported = performance.now();
  let opts = {};
  let extra = {};
  if (mode === "phases") {
    const m = await WebAssembly.compileStreaming(fetch("/pkg/zkvault.wasm"));
    marks.module = performance.now();
    opts = { module: m };
  }
  if (mode === "idb") {
    const r = await idbModule();
    marks.module = performance.now();
    opts = { module: r.module };
    extra = { from: r.from, stored: r.stored };
  }
  const zk = await load(opts);
  marks.loaded = performance.now();
  const space = await zk.createSpace("first-call");
  marks.firstCall = performance.now();
  await space.forget();
  window.loadResult = { ms: marks.firstCall, marks, ...extra };
} catch (e) {
  window.loadResult = { error: String(e?.stack ?? e) };
}
