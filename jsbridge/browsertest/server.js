// A static HTTP server for the browser suite, on 127.0.0.1 and a free port. Every
// response carries the CSP the package must work under:
//
//   Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'
//
// so no inline script, no eval; WebAssembly allowed. Paths under /strict/ are the same
// files under `script-src 'self'` alone, where compiling WebAssembly must fail.
//
//   /pkg/...            the package as npm pack ships it (src/, zkvault.wasm,
//                       wasm_exec.js); the last two fall back to the readiness fixture
//                       while jsbridge/js has no built module; with wasmDir, the
//                       module built by the suite from ./jsbridge instead
//   /embed/...          an app directory (appDir), e.g. examples/embed with the
//                       package installed in its node_modules
//   /pkg/test/kit.js    the shared test kit (jsbridge/js/test/kit.js, blobkit.js, fieldkit.js, gcmkit.js)
//   /fixture/...        the readiness fixture (zkvault.wasm, wasm_exec.js)
//   /fixture-octet/...  the same, with the wrong MIME type for .wasm
//   /pages/...          the test pages (pages/)
//   /readme/example-N.js  README.md's Nth ```js test:browser block, importing the
//                       package by URL instead of by name (no import maps: they are
//                       inline scripts, which the CSP forbids)

import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const CSP = "script-src 'self' 'wasm-unsafe-eval'";
export const STRICT_CSP = "script-src 'self'";

const pagesDir = fileURLToPath(new URL("./pages/", import.meta.url));
const packageDir = fileURLToPath(new URL("../js/", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/** path joined under root, or null if it would leave root. */
function under(root, path) {
  const p = normalize(join(root, path));
  return p.startsWith(root.endsWith(sep) ? root : root + sep) ? p : null;
}

async function exists(p) {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * @param {{fixtureDir: string, readmeExamples: string[]}} opts
 * @returns {Promise<{origin: string, close: () => Promise<void>}>}
 */
export async function serve({ fixtureDir, readmeExamples, wasmDir, appDir }) {
  async function resolve(path) {
    let m;
    if (wasmDir && (m = path.match(/^\/pkg\/(zkvault\.wasm|wasm_exec\.js)$/))) return { file: join(wasmDir, m[1]) };
    if ((m = path.match(/^\/pkg\/test\/(kit|blobkit|fieldkit|gcmkit)\.js$/))) return { file: join(packageDir, "test", `${m[1]}.js`) };
    if (appDir && (m = path.match(/^\/embed\/(.*)$/))) {
      const file = under(appDir, m[1] === "" ? "index.html" : m[1]);
      return file && { file };
    }
    if ((m = path.match(/^\/pkg\/(src\/[\w.-]+\.js|zkvault\.wasm|wasm_exec\.js)$/))) {
      const p = join(packageDir, m[1]);
      if (await exists(p)) return { file: p };
      if (!m[1].startsWith("src/")) return { file: join(fixtureDir, m[1]) };
      return null;
    }
    if ((m = path.match(/^\/fixture\/([\w.-]+)$/))) return { file: join(fixtureDir, m[1]) };
    if ((m = path.match(/^\/fixture-octet\/([\w.-]+)$/))) {
      return { file: join(fixtureDir, m[1]), type: "application/octet-stream" };
    }
    if ((m = path.match(/^\/pages\/(.+)$/))) {
      const file = under(pagesDir, m[1]);
      return file && { file };
    }
    if ((m = path.match(/^\/readme\/example-(\d+)\.js$/)) && readmeExamples[m[1]] !== undefined) {
      const body = readmeExamples[m[1]].replaceAll('from "@zkvault/zkvault"', 'from "/pkg/src/index.js"');
      return { body, type: TYPES[".js"] };
    }
    return null;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    let path = url.pathname;
    let csp = CSP;
    if (path.startsWith("/strict/")) {
      path = path.slice("/strict".length);
      csp = STRICT_CSP;
    }
    const headers = { "content-security-policy": csp, "cache-control": "no-store" };
    if (path === "/favicon.ico") {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    try {
      const r = await resolve(path);
      if (r && (r.body !== undefined || (await exists(r.file)))) {
        const body = r.body ?? (await readFile(r.file));
        res.writeHead(200, { ...headers, "content-type": r.type ?? TYPES[extname(r.file)] ?? "application/octet-stream" });
        res.end(body);
        return;
      }
      res.writeHead(404, { ...headers, "content-type": "text/plain" });
      res.end("not found\n");
    } catch (err) {
      res.writeHead(500, { ...headers, "content-type": "text/plain" });
      res.end(String(err));
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
