// A Cloudflare Worker that embeds the package the way the package's README tells
// Workers users to: the platform compiles zkvault.wasm at deploy time and hands the
// WebAssembly.Module to load() (Workers forbid compiling at run time), and
// wasm_exec.js is imported first for the Go class. workers.test.js runs it in
// workerd, the Workers runtime, and drives it over HTTP:
//
//   POST /vectors  body: the core's vectors (helpers.js vectorData) → runVectors' results
//   POST /seal     → sealForNative(zk, "workerd"), for jsbridge/internal/verify
//   GET  /fields   → a field batch sealed and opened here: {n, opened, gcm, paths},
//                    gcm: whether the package's AES-GCM module runs (workerd refuses
//                    compiling WebAssembly from bytes, so the batch uses WebCrypto)
//   GET  /         → {"ready": true} once the module has loaded
//
// Workers forbid random numbers outside a request (Go's runtime draws some when it
// starts), so the module is loaded on the first request, not at import.
import "../js/wasm_exec.js";
import wasm from "../js/zkvault.wasm";
import { load } from "../js/src/index.js";
import { runVectors, sealForNative } from "../js/test/kit.js";
import { loadGCM } from "../js/src/gcm.js";
import { fieldPathsForTesting } from "../js/src/fieldcrypto.js";

/** Seals 200 fields and opens them in one batch (with one moved to another record). */
async function fields(zk) {
  const space = await zk.createSpace("vault-workerd");
  try {
    const items = Array.from({ length: 200 }, (_, i) => ({ collection: "c", recordId: `r-${i}`, field: "f", value: `value ${i}`, pad: i % 2 === 0 }));
    const sealed = await space.sealFields(items);
    const batch = items.map(({ value, pad, ...ref }, i) => ({ ...ref, ciphertext: sealed[i].ciphertext }));
    batch[7] = { ...batch[7], recordId: "moved" };
    const before = fieldPathsForTesting();
    const out = await space.openFields(batch);
    const after = fieldPathsForTesting();
    const opened = out.filter((r, i) => (i === 7 ? r.error?.code === "incorrect_key" : r.text === items[i].value)).length;
    return { n: items.length, opened, gcm: (await loadGCM()) !== null, paths: { gcm: after.gcm - before.gcm, webcrypto: after.webcrypto - before.webcrypto } };
  } finally {
    await space.forget();
  }
}

// One module per isolate, loaded once even when the first requests arrive together.
let ready;

export default {
  async fetch(request) {
    try {
      ready ??= load({ module: wasm });
      const zk = await ready;
      const { pathname } = new URL(request.url);
      if (request.method === "GET" && pathname === "/") return Response.json({ ready: true });
      if (request.method === "POST" && pathname === "/vectors") return Response.json(await runVectors(zk, await request.json()));
      if (request.method === "POST" && pathname === "/seal") return Response.json(await sealForNative(zk, "workerd"));
      if (request.method === "GET" && pathname === "/fields") return Response.json(await fields(zk));
      return new Response("not found", { status: 404 });
    } catch (e) {
      return new Response(`${e?.code ?? ""} ${e?.stack ?? e}`, { status: 500 });
    }
  },
};
