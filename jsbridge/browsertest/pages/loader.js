// Steps of the loader tests, run under the page's CSP (or, below /strict/, under
// script-src 'self' alone).
import { loadModule as load } from "/pkg/src/index.js";
import { publish } from "/pages/common.js";

let streamed = 0; // streaming compilations: compileStreaming or instantiateStreaming
for (const name of ["compileStreaming", "instantiateStreaming"]) {
  const f = WebAssembly[name];
  WebAssembly[name] = (...args) => {
    streamed++;
    return f(...args);
  };
}

async function attempt(opts) {
  streamed = 0;
  try {
    const api = await load(opts);
    return {
      version: api.version,
      echo: typeof api.echo === "function" ? api.echo("hello") : undefined, // the fixture's
      readyGone: !Object.getOwnPropertyNames(globalThis).some((n) => n.startsWith("__zkvaultReady_")),
      streamed,
    };
  } catch (err) {
    return { error: err.message, cause: String(err.cause ?? ""), streamed };
  }
}

publish({
  fixture: () => attempt({ wasm: "/fixture/zkvault.wasm", wasmExec: "/fixture/wasm_exec.js" }),
  wrongMime: () => attempt({ wasm: "/fixture-octet/zkvault.wasm", wasmExec: "/fixture/wasm_exec.js" }),
  packageDefaults: () => attempt({}),
  missing: () => attempt({ wasm: "/fixture/missing.wasm", wasmExec: "/fixture/wasm_exec.js" }),
  fromResponse: () => attempt({ wasm: fetch("/fixture/zkvault.wasm"), wasmExec: "/fixture/wasm_exec.js" }),
});
