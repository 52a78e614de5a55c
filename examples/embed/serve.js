// Serves this directory on http://127.0.0.1:8080 with the CSP the package needs:
//   Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'
// Run `npm install` first (it installs the package tarball into node_modules).
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css", ".wasm": "application/wasm" };
const port = Number(process.env.PORT ?? 8080);

createServer(async (req, res) => {
  const path = normalize(join(root, decodeURIComponent(new URL(req.url, "http://x").pathname)));
  const file = path.endsWith(sep) ? join(path, "index.html") : path;
  const headers = { "content-security-policy": "script-src 'self' 'wasm-unsafe-eval'", "x-content-type-options": "nosniff" };
  try {
    if (!file.startsWith(root)) throw new Error("outside");
    const body = await readFile(file);
    res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404, headers);
    res.end("not found\n");
  }
}).listen(port, "127.0.0.1", () => console.log(`http://127.0.0.1:${port}/`));
