// A Cloudflare Worker that embeds the package the way the package's README tells
// Workers users to: the platform compiles zkvault.wasm at deploy time and hands the
// WebAssembly.Module to load() (Workers forbid compiling at run time), and
// wasm_exec.js is imported first for the Go class. workers.test.js runs it in
// workerd, the Workers runtime, and drives it over HTTP:
//
//   POST /vectors  body: the core's vectors (helpers.js vectorData) → runVectors' results
//   POST /seal     → sealForNative(zk, "workerd"), for jsbridge/internal/verify
//   GET  /         → {"ready": true} once the module has loaded
//
// Workers forbid random numbers outside a request (Go's runtime draws some when it
// starts), so the module is loaded on the first request, not at import.
import "../js/wasm_exec.js";
import wasm from "../js/zkvault.wasm";
import { load } from "../js/src/index.js";
import { runVectors, sealForNative } from "../js/test/kit.js";

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
      return new Response("not found", { status: 404 });
    } catch (e) {
      return new Response(`${e?.code ?? ""} ${e?.stack ?? e}`, { status: 500 });
    }
  },
};
