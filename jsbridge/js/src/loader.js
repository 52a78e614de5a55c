// load(): starts the Go runtime (zkvault.wasm with Go's wasm_exec.js) and resolves
// once the Go side says it is ready, with the API object it hands over. Nothing can
// call into the module too early, because nothing has the API before then.
//
// Where the module comes from:
//   browser   fetch(url) + WebAssembly.compileStreaming, started before wasm_exec.js
//             is imported so that the two overlap (Chromium serves a module it has
//             compiled before from its code cache); when the server does not send
//             Content-Type application/wasm, the bytes are read and compiled
//             instead. The page's CSP must allow 'wasm-unsafe-eval' in script-src.
//   Node 20+  a file: URL or path, read with node:fs/promises.
//   Workers   no compiling at run time: pass the WebAssembly.Module the platform gives
//             for `import wasm from "@zkvault/zkvault/zkvault.wasm"` as options.module,
//             and the Go class (import "@zkvault/zkvault/wasm_exec.js" first).
//
// # Readiness contract (the Go side, jsbridge/main.go)
//
// The loader picks a fresh global name, `__zkvaultReady_<32 hex digits>`, defines a
// function under it and passes the name to Go in the environment variable
// ZKVAULT_READY. Go's main builds its API object, calls
// `js.Global().Get(os.Getenv("ZKVAULT_READY")).Invoke(api)` once, and then blocks
// forever (`select {}`). The loader deletes the global when it is called. If main
// returns or exits first, load rejects with the exit code; if nothing happens within
// timeoutMs, load rejects too.

/** Environment variable through which Go learns the name of the ready callback. */
export const READY_ENV = "ZKVAULT_READY";

/** Prefix of the global name of the ready callback. */
export const READY_PREFIX = "__zkvaultReady_";

/** How long load waits for the Go side after starting it, unless told otherwise. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;

const OPTION_NAMES = new Set(["wasm", "module", "wasmExec", "Go", "timeoutMs"]);

/**
 * @param {import("../index.js").LoadOptions} [options]
 * @returns {Promise<import("../index.js").ZkvaultAPI>}
 */
export async function load(options = {}) {
  if (options === null || typeof options !== "object") throw new TypeError("zkvault: load options must be an object");
  for (const k of Object.keys(options)) {
    if (!OPTION_NAMES.has(k)) throw new TypeError(`zkvault: unknown load option ${JSON.stringify(k)}`);
  }
  const { module, timeoutMs = DEFAULT_READY_TIMEOUT_MS } = options;
  if (module !== undefined && !(module instanceof WebAssembly.Module)) {
    throw new TypeError("zkvault: options.module must be a WebAssembly.Module");
  }
  if (module !== undefined && options.wasm !== undefined) {
    throw new TypeError("zkvault: pass options.module or options.wasm, not both");
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError("zkvault: options.timeoutMs must be a positive number of milliseconds");
  }

  // Fetch and compile the module while wasm_exec.js loads: neither needs the other.
  const compiling = compile(module ?? options.wasm ?? new URL("../zkvault.wasm", import.meta.url));
  compiling.catch(() => {}); // reported below, unless goClass fails first
  const GoClass = await goClass(options);
  const go = new GoClass();
  const readyName = READY_PREFIX + randomHex(16);
  go.argv = ["zkvault"];
  go.env = { [READY_ENV]: readyName };
  let exitCode;
  go.exit = (code) => {
    exitCode = code;
  };

  const compiled = await compiling;
  let instance;
  try {
    instance = await WebAssembly.instantiate(compiled, go.importObject);
  } catch (err) {
    throw explain(err);
  }

  let timer;
  try {
    return await new Promise((resolve, reject) => {
      Object.defineProperty(globalThis, readyName, {
        configurable: true,
        enumerable: false,
        value: (api) => {
          if (api === null || (typeof api !== "object" && typeof api !== "function")) {
            reject(new Error("zkvault: the Go side signalled readiness without an API object"));
          } else {
            resolve(api);
          }
        },
      });
      timer = setTimeout(
        () => reject(new Error(`zkvault: the WebAssembly module did not signal readiness within ${timeoutMs} ms`)),
        timeoutMs,
      );
      // run resolves when the Go program exits; before readiness that is a failure.
      // (Once resolve has run, these rejections are ignored.)
      go.run(instance).then(
        () => reject(new Error(`zkvault: the WebAssembly module exited before it was ready (exit code ${exitCode ?? "unknown"})`)),
        (err) => reject(new Error("zkvault: the WebAssembly module failed while starting", { cause: err })),
      );
    });
  } finally {
    clearTimeout(timer);
    delete globalThis[readyName];
  }
}

async function goClass(options) {
  if (options.Go !== undefined) {
    if (typeof options.Go !== "function") throw new TypeError("zkvault: options.Go must be the Go class from wasm_exec.js");
    return options.Go;
  }
  if (typeof globalThis.Go !== "function") {
    const url = options.wasmExec ?? new URL("../wasm_exec.js", import.meta.url);
    if (typeof url !== "string" && !(url instanceof URL)) {
      throw new TypeError("zkvault: options.wasmExec must be a URL or a string");
    }
    try {
      await import(/* webpackIgnore: true */ /* @vite-ignore */ String(url));
    } catch (err) {
      throw new Error(`zkvault: cannot load Go's wasm_exec.js from ${url}`, { cause: err });
    }
    if (typeof globalThis.Go !== "function") {
      throw new Error(`zkvault: ${url} did not define globalThis.Go; it must be the wasm_exec.js of the Go release that built zkvault.wasm`);
    }
  }
  return globalThis.Go;
}

/**
 * @param {WebAssembly.Module | string | URL | Response | PromiseLike<Response> | BufferSource} source
 * @returns {Promise<WebAssembly.Module>}
 */
async function compile(source) {
  try {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return await WebAssembly.compile(source);
    if (typeof source === "string" || source instanceof URL) return await compileURL(source);
    if (typeof source?.then === "function" || (typeof Response !== "undefined" && source instanceof Response)) {
      return await compileResponse(await source);
    }
  } catch (err) {
    throw explain(err);
  }
  throw new TypeError("zkvault: options.wasm must be a URL, a string, a Response, a promise of one, or the module's bytes");
}

async function compileURL(src) {
  const hasScheme = src instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(src);
  if (hasScheme ? new URL(src).protocol === "file:" : globalThis.location === undefined) {
    // Node (and other runtimes with files): a file: URL, or a path.
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs/promises");
    return WebAssembly.compile(await readFile(hasScheme ? new URL(src) : src));
  }
  return compileResponse(await fetch(src));
}

async function compileResponse(resp) {
  if (typeof resp?.arrayBuffer !== "function") throw new TypeError("zkvault: options.wasm did not give a Response");
  if (!resp.ok) throw new Error(`zkvault: fetching ${resp.url || "the WebAssembly module"}: HTTP ${resp.status}`);
  const type = resp.headers?.get("content-type") ?? "";
  if (typeof WebAssembly.compileStreaming === "function" && /^application\/wasm\s*(;|$)/i.test(type)) {
    return WebAssembly.compileStreaming(resp);
  }
  // Wrong or missing MIME type: streaming compilation would refuse it; compile the bytes.
  return WebAssembly.compile(await resp.arrayBuffer());
}

function explain(err) {
  const msg = String(err?.message ?? err);
  if (/unsafe-eval|Content Security Policy/i.test(msg)) {
    return new Error(
      "zkvault: the page's Content-Security-Policy forbids compiling WebAssembly; add 'wasm-unsafe-eval' to script-src",
      { cause: err },
    );
  }
  // A missing import module is a TypeError, a missing or mistyped import a LinkError.
  if (err instanceof WebAssembly.LinkError || (err instanceof TypeError && /\bImport #\d+\b/.test(msg))) {
    return new Error("zkvault: zkvault.wasm does not fit this wasm_exec.js; both must come from the same Go release", {
      cause: err,
    });
  }
  return err;
}

function randomHex(n) {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
