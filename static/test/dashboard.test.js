// The dashboard in real Chromium (Debian's, headless) against the real server
// binary with the dashboard embedded: log in, unlock, browse, search by a phone
// number written differently from the stored one, open a screenshot and check
// its pixels, download an attachment and compare its bytes, tokens, logs, lock,
// the URL-fragment key handover; every request the page makes is recorded and
// searched for the passphrase and the key. Screenshots of each page at phone
// (390×844) and desktop (1280×860) size go to static/test/artifacts/.
//
// Run from the repository root:  node --test static/test/
// Needs Go, chromium (/usr/bin/chromium or on PATH) and jsbridge/js's
// devDependencies (scripts/ensure-npm.sh jsbridge/js) for playwright-core.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { PASSPHRASE, QUADRANTS, SEARCH_PHONE, VAULT, seed } from "./seed.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STATIC = join(ROOT, "static");
const ARTIFACTS = join(STATIC, "test", "artifacts");
const { chromium } = createRequire(join(ROOT, "jsbridge/js/package.json"))("playwright-core");

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const T = { timeout: 180_000 };
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

let server; // {proc, origin, data}
let admin;
const DASHBOARD_SECRET = "dashboard-secret-for-the-browser-test-0123456789";
let seeded;
let handoverKey;
let browser;
let context;
let page;
const requests = []; // every request the page made: {method, url, headers, body}
const pageErrors = [];

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"], encoding: "utf8", ...opts });
}

function findChromium() {
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  try {
    return sh("sh", ["-c", "command -v chromium"]).trim();
  } catch {
    throw new Error("no chromium: run scripts/ensure-chromium.sh");
  }
}

/** The WebAssembly package into static/pkg/, then the server binary (which embeds it). */
async function build(dir) {
  const goroot = sh("go", ["env", "GOROOT"]).trim();
  sh("scripts/build-wasm.sh", ["static/pkg/zkvault.wasm"]);
  await copyFile(join(goroot, "lib/wasm/wasm_exec.js"), join(STATIC, "pkg/wasm_exec.js"));
  for (const f of await readdir(join(ROOT, "jsbridge/js/src"))) if (f.endsWith(".js")) await copyFile(join(ROOT, "jsbridge/js/src", f), join(STATIC, "pkg", f));
  sh("go", ["build", "-o", join(dir, "zkvault"), "./cmd/zkvault"]);
  sh("go", ["build", "-o", join(dir, "handover"), "./static/test/testdata/handover"]);
}

function startServer(bin, data) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data", data], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ZKVAULT_DASHBOARD_SECRET: DASHBOARD_SECRET } });
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

async function snap(name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
}

/** The same page in the dark scheme (prefers-color-scheme). */
async function snapDark(name) {
  await page.emulateMedia({ colorScheme: "dark" });
  await snap(`${name}-dark`);
  await page.emulateMedia({ colorScheme: "light" });
}

async function nav(label) {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: label, exact: true }).click();
}

async function login() {
  await page.getByLabel("Dashboard secret").fill(DASHBOARD_SECRET);
  await page.getByRole("button", { name: "Log in" }).click();
}

before(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), "zkvault-dash-"));
  await build(dir);
  server = await startServer(join(dir, "zkvault"), join(dir, "data"));
  server.dir = dir;
  admin = (await readFile(join(dir, "data", "admin.secret"), "utf8")).trim();
  seeded = await seed(server.origin, admin, { log: (m) => console.log("seed:", m) });
  handoverKey = sh(join(dir, "handover"), [], { input: JSON.stringify(seeded.space), env: { ...process.env, ZKVAULT_TEST_PASSPHRASE: PASSPHRASE } });
  browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: ARGS });
  context = await browser.newContext({ viewport: PHONE, acceptDownloads: true, colorScheme: "light" });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => requests.push({ method: r.method(), url: r.url(), headers: r.headers(), body: r.postDataBuffer()?.toString("latin1") ?? "" }));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  if (pageErrors.length) console.log("page errors:\n" + pageErrors.join("\n"));
  await page?.screenshot({ path: join(ARTIFACTS, "zz-last.png"), fullPage: true }).catch(() => {});
  await browser?.close();
  server?.proc.kill("SIGTERM");
  if (server?.dir) await rm(server.dir, { recursive: true, force: true });
});

test("log in: a wrong secret says so; the right one leads to unlock", T, async () => {
  await page.goto(server.origin + "/");
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await snap("01-login");
  await page.getByLabel("Dashboard secret").fill("zka_wrong-secret-wrong-secret-wrong-secret");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("Wrong dashboard secret.").waitFor();
  await snap("02-login-wrong");
  await login();
  await page.getByRole("heading", { name: "Unlock your vault" }).waitFor();
  await page.getByText(/Key derivation: Argon2id/).waitFor();
  await snap("03-unlock");
});

test("a wrong passphrase says so at once; the right one unlocks, with progress shown", T, async (t) => {
  const pass = page.getByLabel("Passphrase", { exact: true });
  await pass.fill("not the passphrase");
  // Record whether the progress indicator showed (it may be brief).
  await page.evaluate(() => {
    window.__sawProgress = false;
    const p = document.querySelector(".progress");
    new MutationObserver(() => {
      if (!p.hidden && p.textContent.includes("Deriving the key")) window.__sawProgress = true;
    }).observe(p, { attributes: true, childList: true, subtree: true });
  });
  const t0 = Date.now();
  await page.getByRole("button", { name: "Unlock", exact: true }).click();
  await page.getByText(/^Wrong passphrase\./).waitFor();
  assert.equal(await page.evaluate(() => window.__sawProgress), true, "progress was shown during the key derivation");
  t.diagnostic(`wrong passphrase reported after ${Date.now() - t0} ms`);
  await snap("04-unlock-wrong");
  await pass.fill(PASSPHRASE);
  // Frames drawn while the progress shows, and the longest gap between frames.
  await page.evaluate(() => {
    window.__frames = { withProgress: 0, maxGap: 0 };
    let last = performance.now();
    const loop = (now) => {
      window.__frames.maxGap = Math.max(window.__frames.maxGap, now - last);
      last = now;
      const p = document.querySelector(".progress");
      if (p && !p.hidden) window.__frames.withProgress++;
      if (document.querySelector(".progress")) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  const t1 = Date.now();
  await page.getByRole("button", { name: "Unlock", exact: true }).click();
  await page.getByRole("heading", { name: "Your vault", exact: true }).waitFor();
  t.diagnostic(`unlock took ${Date.now() - t1} ms`);
  const frames = await page.evaluate(() => window.__frames);
  t.diagnostic(`frames drawn with the progress shown: ${frames.withProgress}; longest frame gap ${Math.round(frames.maxGap)} ms`);
  assert.ok(frames.withProgress >= 1, "the progress is painted before the key derivation takes the thread");
  assert.match(await page.locator("#countdown").textContent(), /Unlocked · (59|60):\d\d/);
  await snap("05-overview");
  // Nothing in web storage.
  const web = await page.evaluate(() => ({ l: localStorage.length, s: sessionStorage.length, c: document.cookie }));
  assert.equal(web.l, 0, "nothing in localStorage");
  assert.equal(web.s, 0, "nothing in sessionStorage");
  assert.match(web.c, /^zkvault_csrf=[^;]+$/, "script sees only the anti-CSRF cookie");
  const session = (await context.cookies()).find((c) => c.name === "zkvault_session");
  assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
});

test("messages: pages of decrypted records; an unreadable record says so in place; date and chat filters", T, async () => {
  await nav("Messages");
  await page.getByText("Are we still on for Sunday?").waitFor();
  // im-broken holds ciphertexts of another record: its fields say so in place.
  const broken = page.locator('[data-id="im-broken"]');
  await broken.getByText(/cannot be decrypted/).first().waitFor();
  assert.ok(await page.getByText("Call me when you land").isVisible(), "the rest still shows");
  await snap("06-messages");
  await snapDark("06-messages");
  // Pagination: 25 a page, oldest first.
  await page.getByText("Bulk message 16", { exact: true }).waitFor();
  assert.equal(await page.getByText("Bulk message 17", { exact: true }).count(), 0);
  await page.getByRole("button", { name: "Next →" }).click();
  await page.getByText("Bulk message 30", { exact: true }).waitFor();
  assert.match(await page.locator(".pager").textContent(), /Page 2/);
  assert.equal(await page.getByRole("button", { name: "Next →" }).isDisabled(), true);
  await page.getByRole("button", { name: "← Previous" }).click();
  await page.getByText("Are we still on for Sunday?").waitFor();
  // Chat filter via a message's button.
  await page.locator('[data-id="im-2"]').getByRole("button", { name: "This chat only" }).click();
  await page.getByText("Are we still on for Sunday?").waitFor({ state: "detached" });
  await page.getByText("Yes! I'll bring the notes on the engine.").waitFor();
  await page.getByRole("button", { name: "Clear", exact: true }).click();
  await page.getByText("Are we still on for Sunday?").waitFor();
  // WhatsApp tab.
  await page.getByRole("tab", { name: "WhatsApp" }).click();
  await page.getByText("Weekly sync moved to Thursday").waitFor();
  await snap("07-whatsapp");
  // A date range with nothing in it: an empty state, with a way out.
  await page.getByLabel("From").fill("2020-01-01");
  await page.getByLabel("To").fill("2020-01-02");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("No messages match.").waitFor();
  await snap("08-messages-empty");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await page.getByText("Weekly sync moved to Thursday").waitFor();
});

test("search by a phone number written differently from the stored one finds it", T, async () => {
  await nav("Search");
  await page.getByLabel("Search by").selectOption("phone");
  await page.getByLabel("Default country").selectOption("US");
  await page.getByLabel("Value").fill(SEARCH_PHONE);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("#search-summary").waitFor();
  const contacts = page.locator('[data-collection="contacts"]');
  await contacts.getByText("Ada Lovelace").waitFor();
  assert.equal(await contacts.locator("[data-id]").count(), 1, "only Ada among the contacts");
  // The decoys share Ada's blind index value: the server returned them, the page dropped them.
  assert.match(await page.locator("#search-summary").textContent(), /([2-9]|\d\d+) false positives? of the blind index filtered out/);
  assert.equal(await page.getByText("Babbage").count(), 0);
  await page.locator('[data-collection="whatsapp_messages"]').getByText("Hello from WhatsApp").waitFor();
  await page.locator('[data-collection="imessages"]').getByText("Are we still on for Sunday?").waitFor();
  await snap("09-search-phone");
  // By name, through the compound index of first and last name.
  await page.getByLabel("Search by").selectOption("name");
  await page.getByLabel("Value").fill("grace HOPPER");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator('[data-collection="contacts"]').getByText("Grace Hopper").waitFor();
  // By e-mail.
  await page.getByLabel("Search by").selectOption("email");
  await page.getByLabel("Value").fill("ADA@example.org");
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator('[data-collection="contacts"]').getByText("Ada Lovelace").waitFor();
  // Nothing found.
  await page.getByLabel("Value").fill("nobody@example.org");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Nothing found.").waitFor();
});

test("contacts as cards; the unreadable one says so in place", T, async () => {
  await nav("Contacts");
  await page.getByText("Barbara Liskov").waitFor();
  await page.locator('[data-id="c-broken"]').getByText(/cannot be decrypted/).first().waitFor();
  await snap("10-contacts");
  await snapDark("10-contacts");
});

test("screenshots: a gallery of decrypted images; one opened and its pixels checked", T, async () => {
  await nav("Screenshots");
  const img = page.locator('[data-id="s-1"] img');
  await img.waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll(".shot img")].every((i) => i.complete && i.naturalWidth > 0) && document.querySelectorAll(".shot img").length === 3);
  await snap("11-screenshots");
  await page.locator('[data-id="s-1"] .shot-open').click();
  const big = page.locator("dialog.lightbox img");
  await big.waitFor();
  await page.waitForFunction(() => document.querySelector("dialog.lightbox img")?.naturalWidth > 0);
  const px = await big.evaluate((el) => {
    const c = document.createElement("canvas");
    c.width = el.naturalWidth;
    c.height = el.naturalHeight;
    const g = c.getContext("2d");
    g.drawImage(el, 0, 0);
    const at = (x, y) => [...g.getImageData(x, y, 1, 1).data.slice(0, 3)];
    const w = c.width;
    const h = c.height;
    return { w, h, tl: at(5, 5), tr: at(w - 5, 5), bl: at(5, h - 5), br: at(w - 5, h - 5), src: el.src.slice(0, 5) };
  });
  assert.equal(px.src, "blob:");
  assert.equal(px.w, seeded.screenshot.w);
  assert.equal(px.h, seeded.screenshot.h);
  for (const q of ["tl", "tr", "bl", "br"]) assert.deepEqual(px[q], QUADRANTS[q], `pixel ${q}`);
  await snap("12-screenshot-open");
  await page.getByRole("button", { name: "Close" }).click();
});

test("attachments: downloaded with the decrypted file name, bytes equal", T, async () => {
  await nav("Attachments");
  const row = page.locator('[data-id="a-1"]');
  await row.getByText(seeded.attachment.name).waitFor();
  await snap("13-attachments");
  const [dl] = await Promise.all([page.waitForEvent("download"), row.getByRole("button", { name: /Download/ }).click()]);
  assert.equal(dl.suggestedFilename(), seeded.attachment.name);
  const got = await readFile(await dl.path());
  assert.equal(got.length, seeded.attachment.bytes.length);
  assert.ok(got.equals(seeded.attachment.bytes), "the downloaded bytes are the uploaded ones");
  await row.getByText(/Decrypted/).waitFor();
});

test("locations: points on an SVG plot with axes; nothing fetched from elsewhere", T, async () => {
  await nav("Locations");
  await page.locator("svg.plot-svg circle").first().waitFor();
  assert.equal(await page.locator("svg.plot-svg circle").count(), seeded.locations);
  assert.ok((await page.locator("svg.plot-svg text.tick").count()) >= 4, "axes have ticks");
  await snap("14-locations");
  await snapDark("14-locations");
});

test("read tokens: created (shown once), listed, revoked", T, async () => {
  await nav("Tokens");
  await page.getByLabel("Name").fill("reporting app");
  await page.getByLabel("For principal").selectOption("owner");
  await page.getByRole("button", { name: "Create read token" }).click();
  const tok = await page.locator("#new-token").inputValue();
  assert.match(tok, /^zkt_/);
  const prefix = tok.slice(0, 12);
  await page.locator(`tr[data-prefix="${prefix}"]`).getByText("Active").waitFor();
  await snap("15-tokens-created");
  page.once("dialog", (d) => d.accept());
  await page.locator(`tr[data-prefix="${prefix}"]`).getByRole("button", { name: /Revoke/ }).click();
  await page.locator(`tr[data-prefix="${prefix}"]`).getByText("Revoked").waitFor();
  // The token no longer works.
  const r = await fetch(`${server.origin}/api/v1/spaces`, { headers: { Authorization: `Bearer ${tok}` } });
  assert.equal(r.status, 401);
  await snap("16-tokens");
});

test("write and read logs", T, async () => {
  await nav("Logs");
  await page.getByText("tokens.revoke").waitFor();
  await snap("17-logs-write");
  await page.getByRole("tab", { name: "Reads" }).click();
  await page.getByText("records.query").first().waitFor();
  await snap("18-logs-read");
});

test("a reload keeps the vault unlocked (no passphrase) until Lock; Lock removes it from the browser", T, async () => {
  await page.reload();
  await page.getByRole("heading", { name: "Logs", exact: true }).or(page.getByRole("heading", { name: "Your vault", exact: true })).waitFor();
  assert.match(await page.locator("#countdown").textContent(), /Unlocked · \d+:\d\d/);
  const stored = await page.evaluate(async () => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open("zkvault");
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const all = await new Promise((res) => {
      const tx = db.transaction("sessions");
      const r = tx.objectStore("sessions").getAll();
      r.onsuccess = () => res(r.result);
    });
    db.close();
    return all.map((x) => ({ kind: x.kind, extractable: x.wrappingKey?.extractable, sealedIsBytes: x.sealed instanceof Uint8Array || x.sealed instanceof ArrayBuffer, expiresIn: x.expiresAt - Date.now() }));
  });
  assert.equal(stored.length, 1);
  assert.equal(stored[0].kind, "space");
  assert.equal(stored[0].extractable, false, "the session key is non-extractable");
  assert.ok(stored[0].expiresIn <= 3600_000 && stored[0].expiresIn > 3500_000);
  await page.getByRole("button", { name: "Lock" }).click();
  await page.getByRole("heading", { name: "Unlock your vault" }).waitFor();
  const left = await page.evaluate(
    () =>
      new Promise((res) => {
        const r = indexedDB.open("zkvault");
        r.onsuccess = () => {
          const q = r.result.transaction("sessions").objectStore("sessions").count();
          q.onsuccess = () => res(q.result);
        };
      }),
  );
  assert.equal(left, 0, "Lock deletes the stored session");
  await snap("19-locked");
});

test("the key handed over in the URL fragment unlocks, and leaves the address bar and history", T, async () => {
  const len = await page.evaluate(() => history.length);
  await page.goto(`${server.origin}/#space=${VAULT}&key=${handoverKey}`);
  assert.equal(new URL(page.url()).hash, "", "the fragment is gone at once");
  await page.getByRole("heading", { name: "Your vault", exact: true }).waitFor();
  assert.equal(new URL(page.url()).hash, "");
  assert.ok(!page.url().includes(handoverKey));
  const urls = await page.evaluate(() => [location.href, document.referrer]);
  for (const u of urls) assert.ok(!u.includes(handoverKey));
  assert.ok((await page.evaluate(() => history.length)) >= len);
  await snap("20-handover");
});

test("an unlock older than one hour is gone: after the expiry a reload asks for the passphrase again", T, async () => {
  // Age the stored session by an hour (the sealed keyring stays as it was).
  await page.evaluate(
    () =>
      new Promise((res, rej) => {
        const r = indexedDB.open("zkvault");
        r.onsuccess = () => {
          const tx = r.result.transaction("sessions", "readwrite");
          const st = tx.objectStore("sessions");
          const c = st.openCursor();
          c.onsuccess = () => {
            const cur = c.result;
            if (!cur) return;
            cur.update({ ...cur.value, expiresAt: Date.now() - 1 });
            cur.continue();
          };
          tx.oncomplete = () => res();
          tx.onerror = () => rej(tx.error);
        };
      }),
  );
  await page.reload();
  await page.getByRole("heading", { name: "Unlock your vault" }).waitFor();
  assert.equal(await page.locator("#session").isVisible(), false, "no countdown once locked");
});

test("logout locks and returns to the login", T, async () => {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  // The server ended the session (the DELETE carried the anti-CSRF token).
  assert.equal(await page.evaluate(async () => (await fetch("/api/v1/session")).status), 401);
  assert.ok(!(await context.cookies()).some((c) => c.name === "zkvault_session" && c.value), "the session cookie is cleared");
  const sessions = (await context.cookies()).length;
  assert.ok(sessions <= 1);
  await snap("21-logged-out");
});

test("a handover opened while logged out: the key leaves the address bar at once, and unlocks right after the login", T, async () => {
  await page.goto(`${server.origin}/?view=contacts#space=${VAULT}&key=${handoverKey}`);
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  assert.equal(new URL(page.url()).hash, "");
  await login();
  await page.getByRole("heading", { name: "Contacts", exact: true }).waitFor();
  await page.getByText("Ada Lovelace").waitFor();
  assert.ok(!page.url().includes(handoverKey));
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
});

test("no request the page made carries the passphrase or the key; no page errors", T, async () => {
  assert.ok(requests.length > 20, `${requests.length} requests recorded`);
  const needles = [PASSPHRASE, encodeURIComponent(PASSPHRASE), handoverKey, encodeURIComponent(handoverKey), handoverKey.slice(0, 24)];
  for (const r of requests) {
    const hay = [r.url, JSON.stringify(r.headers), r.body].join("\n");
    for (const n of needles) assert.ok(!hay.includes(n), `${r.method} ${r.url} carries a secret`);
  }
  // The dashboard secret goes only in the body of POST /api/v1/session.
  for (const r of requests) {
    if (r.method === "POST" && new URL(r.url).pathname === "/api/v1/session") continue;
    assert.ok(![r.url, JSON.stringify(r.headers), r.body].join("\n").includes(DASHBOARD_SECRET), `${r.method} ${r.url} carries the dashboard secret`);
  }
  const origins = new Set(requests.map((r) => new URL(r.url).origin));
  assert.deepEqual([...origins].filter((o) => o !== server.origin && o !== "null" && !o.startsWith("blob:")), [], "no request leaves the origin");
  assert.deepEqual(pageErrors.filter((e) => !/status of 401|status of 404/.test(e)), []);
});
