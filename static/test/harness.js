// Shared helpers of the browser tests (static/test/*.test.js): building the
// wasm package and the server binary, starting the server, finding Chromium,
// screenshots at phone and desktop size, recording the page's requests, and
// a small PNG decoder to compare pixels with the files the tests used.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const STATIC = join(ROOT, "static");
export const ARTIFACTS = join(STATIC, "test", "artifacts");
export const { chromium } = createRequire(join(ROOT, "jsbridge/js/package.json"))("playwright-core");

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 860 };
export const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"], encoding: "utf8", ...opts });
}

export function findChromium() {
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  try {
    return sh("sh", ["-c", "command -v chromium"]).trim();
  } catch {
    throw new Error("no chromium: run scripts/ensure-chromium.sh");
  }
}

/** The WebAssembly package into static/pkg/, then the server binary (which embeds it) as dir/zkvault. */
export async function buildServer(dir) {
  const goroot = sh("go", ["env", "GOROOT"]).trim();
  sh("scripts/build-wasm.sh", ["static/pkg/zkvault.wasm"]);
  await copyFile(join(goroot, "lib/wasm/wasm_exec.js"), join(STATIC, "pkg/wasm_exec.js"));
  for (const f of await readdir(join(ROOT, "jsbridge/js/src"))) if (f.endsWith(".js")) await copyFile(join(ROOT, "jsbridge/js/src", f), join(STATIC, "pkg", f));
  sh("go", ["build", "-o", join(dir, "zkvault"), "./cmd/zkvault"]);
  return join(dir, "zkvault");
}

/** `zkvault serve` on a free port of 127.0.0.1; resolves once it listens. */
export function startServer(bin, data, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data", data], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    proc.stderr.on("data", (d) => (err += d));
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ proc, origin: m[1], data, stderr: () => err });
    });
    proc.on("exit", (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

/** Stops the server (SIGTERM) and waits for it to exit. */
export function stopServer(server, ms = 10_000) {
  const p = server.proc;
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error("the server did not stop within " + ms + " ms"));
    }, ms);
    p.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    p.kill("SIGTERM");
  });
}

/** A screenshot of the page, full page, at phone size and at desktop size: ARTIFACTS/<name>-{phone,desktop}.png. */
export async function snap(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
}

/** Records every request of the page into list ({method, url, headers, body}) and its errors into errors. */
export function record(page, list, errors) {
  page.on("request", (r) => list.push({ method: r.method(), url: r.url(), headers: r.headers(), body: r.postDataBuffer()?.toString("latin1") ?? "" }));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
}

/**
 * Decodes a non-interlaced 8-bit RGB or RGBA PNG (what Go's image/png writes
 * for NRGBA images): {w, h, at(x, y) → [r, g, b]}.
 */
export function decodePNG(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let off = 8;
  let w, h, depth, type, interlace;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const kind = buf.toString("latin1", off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === "IHDR") {
      w = data.readUInt32BE(0);
      h = data.readUInt32BE(4);
      depth = data[8];
      type = data[9];
      interlace = data[12];
    } else if (kind === "IDAT") idat.push(data);
    else if (kind === "IEND") break;
    off += 12 + len;
  }
  if (depth !== 8 || (type !== 2 && type !== 6) || interlace !== 0) throw new Error(`PNG: depth ${depth}, colour type ${type}, interlace ${interlace} not supported`);
  const bpp = type === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * bpp;
  const px = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      let v = src[i];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new Error(`PNG: filter ${f}`);
      px[y * stride + i] = v & 0xff;
    }
  }
  return { w, h, at: (x, y) => [...px.subarray(y * stride + x * bpp, y * stride + x * bpp + 3)] };
}

/** "#E6194B" → [230, 25, 75] */
export const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
