// End to end: the ingest client (examples/ingest) fills a vault from the sample
// data (examples/ingest/testdata/sample/) on the real server binary, and the
// dashboard in real Chromium reads it back: log in, unlock with the
// passphrase, search by a phone number written differently from the stored
// one, open screenshots and compare their pixels with the PNG files, download
// an attachment and compare its bytes with the file; then the address printed
// by `ingest open --print-url-only` opens the vault in a fresh browser context
// and the key leaves the address bar and history. Every request the pages make
// is searched for the passphrase, the handed-over key and the key's raw bytes;
// after the server stops, its data directory (database and blobs) is searched
// for every line of PLAINTEXTS.txt. Screenshots go to static/test/artifacts/e2e-*.
//
// Run from the repository root:  node --test static/test/e2e-ingest.test.js
// Needs Go, chromium (/usr/bin/chromium or on PATH) and jsbridge/js's
// devDependencies (scripts/ensure-npm.sh jsbridge/js) for playwright-core.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARGS, ARTIFACTS, PHONE, ROOT, buildServer, chromium, decodePNG, findChromium, record, rgb, sh, snap, startServer, stopServer } from "./harness.js";

const SAMPLE = join(ROOT, "examples/ingest/testdata/sample");
const T = { timeout: 120_000 };
const VAULT = "e2e-ingest";
const PASSPHRASE = "quiet-harbour lantern 83 mossy-kettle";
const DASHBOARD_SECRET = "dashboard-secret-for-the-e2e-ingest-test-0123456789";
const WRITE_SECRET = "write-secret-for-the-e2e-ingest-test-9876543210abcdef";
const SEARCH_PHONE = "+1 (415) 555-0100"; // stored as "4155550100" (contacts.vcf), "+1 415 555 0100" (WhatsApp), "+14155550100" (iMessage)

// The screenshots of the sample and their pixels (examples/ingest/testdata/gen.go).
const SHOTS = {
  "Screenshot 2024-03-01 at 10.15.32.png": { w: 120, h: 80, px: [[0, 0, "#E6194B"], [119, 79, "#E6194B"], [60, 40, "#E6194B"]] },
  "Screenshot_20240302-111213.png": { w: 96, h: 96, px: [[0, 0, "#3CB44B"], [8, 0, "#FFFFFF"], [8, 8, "#3CB44B"], [0, 8, "#FFFFFF"], [95, 95, "#3CB44B"]] },
  "ocean-quadrants.png": { w: 160, h: 90, px: [[5, 5, "#4363D8"], [154, 5, "#FFE119"], [5, 84, "#911EB4"], [154, 84, "#000000"]] },
};
const ATTACHMENT = { file: "attachments/boarding-pass.pdf", name: "boarding-pass-ferry-lighthouse.pdf" };

let dir;
let server;
let ingestBin;
let ingestEnv;
let browser;
let context;
let page;
let handoverURL;
let handoverKey;
const requests = []; // every request of every page: {method, url, headers, body}
const pageErrors = [];
const timings = {};

/** Runs the ingest client; returns {stdout, stderr}; throws with its output if it fails. */
function ingest(...args) {
  const t0 = Date.now();
  try {
    const stdout = sh(ingestBin, args, { env: ingestEnv, stdio: ["ignore", "pipe", "pipe"] });
    timings[`ingest ${args[0]}`] = Date.now() - t0;
    return stdout;
  } catch (e) {
    throw new Error(`ingest ${args.join(" ")}: ${e.message}\nstdout:\n${e.stdout}\nstderr:\n${e.stderr}`);
  }
}

async function nav(label) {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: label, exact: true }).click();
}

async function login(p = page) {
  await p.getByRole("heading", { name: "Log in" }).waitFor();
  await p.getByLabel("Dashboard secret").fill(DASHBOARD_SECRET);
  await p.getByRole("button", { name: "Log in" }).click();
}

/** Pixels of an <img> as the browser decoded it, at the given points. */
function browserPixels(img, points) {
  return img.evaluate((el, pts) => {
    const c = document.createElement("canvas");
    c.width = el.naturalWidth;
    c.height = el.naturalHeight;
    const g = c.getContext("2d");
    g.drawImage(el, 0, 0);
    return { w: c.width, h: c.height, src: el.src.slice(0, 5), px: pts.map(([x, y]) => [...g.getImageData(x, y, 1, 1).data.slice(0, 3)]) };
  }, points);
}

/** WhatsApp messages of the sample whose sender is the phone number. */
async function whatsappFromPhone() {
  const chat = await readFile(join(SAMPLE, "WhatsApp Chat with Lighthouse Hikers.txt"), "utf8");
  return chat
    .split("\n")
    .map((l) => l.match(/^\d+\/\d+\/\d+, [\d:]+\s[AP]M - \u202a\+1 415 555 0100\u202c: (.*)$/)) // U+202F before AM/PM, as the apps write it
    .filter(Boolean)
    .map((m) => m[1]);
}

before(async () => {
  const t0 = Date.now();
  await mkdir(ARTIFACTS, { recursive: true });
  for (const f of await readdir(ARTIFACTS)) if (f.startsWith("e2e-")) await rm(join(ARTIFACTS, f), { force: true });
  dir = await mkdtemp(join(tmpdir(), "zkvault-e2e-ingest-"));
  const bin = await buildServer(dir);
  ingestBin = join(dir, "zkvault-ingest");
  sh("go", ["build", "-o", ingestBin, "./examples/ingest"]);
  timings.build = Date.now() - t0;
  server = await startServer(bin, join(dir, "data"), { ZKVAULT_DASHBOARD_SECRET: DASHBOARD_SECRET, ZKVAULT_WRITE_SECRET: WRITE_SECRET });
  const passFile = join(dir, "passphrase");
  await writeFile(passFile, PASSPHRASE + "\n", { mode: 0o600 });
  await mkdir(join(dir, "state"), { mode: 0o700 });
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("ZKVAULT_")) delete env[k];
  ingestEnv = { ...env, ZKVAULT_SERVER: server.origin, ZKVAULT_VAULT: VAULT, ZKVAULT_TOKEN: WRITE_SECRET, ZKVAULT_PASSPHRASE_FILE: passFile, ZKVAULT_STATE_DIR: join(dir, "state") };
  browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: ARGS });
});

after(async () => {
  if (pageErrors.length) console.log("page errors:\n" + pageErrors.join("\n"));
  console.log("timings (ms):", JSON.stringify(timings));
  await page?.screenshot({ path: join(ARTIFACTS, "e2e-zz-last.png"), fullPage: true }).catch(() => {});
  await browser?.close();
  if (server) await stopServer(server).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the ingest client creates the vault and imports the whole sample", T, async (t) => {
  ingest("init");
  const out = ingest("import", "--region", "US", "--me", "Alice Zephyrine", "--tz", "UTC", "--quiet", SAMPLE);
  t.diagnostic(out.trim());
  // 29 WhatsApp messages, 5 contacts, 8 iMessages, 2 attachments, 20 locations, 3 screenshots.
  // The summary table: collection, inserted, updated, unchanged, rejected, skipped.
  const want = { contacts: [5, 0], imessage_attachments: [2, 0], imessages: [8, 0], locations: [20, 0], screenshots: [3, 0], whatsapp_messages: [29, 2], total: [67, 2] };
  for (const [coll, [inserted, skipped]] of Object.entries(want)) assert.match(out, new RegExp(`^\\s*${coll}\\s+${inserted}\\s+0\\s+0\\s+0\\s+${skipped}\\s*$`, "m"), `summary line of ${coll}`);
  assert.match(out, /files: 5 uploaded/);
  assert.ok(!out.includes(PASSPHRASE));
  handoverURL = ingest("open", "--print-url-only").trim();
  const u = new URL(handoverURL);
  assert.equal(u.origin, server.origin);
  assert.equal(u.search, "");
  const frag = new URLSearchParams(u.hash.slice(1));
  assert.equal(frag.get("space"), VAULT);
  handoverKey = frag.get("key");
  assert.ok(handoverKey?.length >= 32, "a key in the fragment");
});

test("log in with the dashboard secret and unlock with the passphrase", T, async (t) => {
  context = await browser.newContext({ viewport: PHONE, acceptDownloads: true, colorScheme: "light" });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  record(page, requests, pageErrors);
  await page.goto(server.origin + "/");
  await login();
  await page.getByRole("heading", { name: "Unlock your vault" }).waitFor();
  await snap(page, "e2e-01-unlock");
  await page.getByLabel("Passphrase", { exact: true }).fill(PASSPHRASE);
  const t0 = Date.now();
  await page.getByRole("button", { name: "Unlock", exact: true }).click();
  await page.getByRole("heading", { name: "Your vault", exact: true }).waitFor();
  t.diagnostic(`unlock took ${Date.now() - t0} ms`);
  await snap(page, "e2e-02-overview");
});

test("search by the phone number written differently finds the contact stored as 4155550100 and the messages", T, async () => {
  await nav("Search");
  await page.getByLabel("Search by").selectOption("phone");
  await page.getByLabel("Default country").selectOption("US");
  await page.getByLabel("Value").fill(SEARCH_PHONE);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("#search-summary").waitFor();
  const contacts = page.locator('[data-collection="contacts"]');
  await contacts.getByText("Priya Nightingale-Okafor").waitFor();
  assert.equal(await contacts.locator("[data-id]").count(), 1, "only Priya among the contacts");
  await contacts.getByText("4155550100").first().waitFor(); // the number as stored
  for (const name of ["Bob Quillfeather", "Alice Zephyrine", "Saffron Kettle Bistro"]) assert.equal(await contacts.getByText(name).count(), 0, `${name} is not found`);
  // WhatsApp: every message the number sent, and no other.
  const wa = page.locator('[data-collection="whatsapp_messages"]');
  const fromPhone = await whatsappFromPhone();
  assert.equal(fromPhone.length, 9, "the sample has 9 WhatsApp messages from the number");
  await wa.getByText("Hi, this is Priya, new number. Saving the quokka-lantern-2207 route now").waitFor();
  for (const text of fromPhone) assert.ok((await wa.getByText(text, { exact: true }).count()) >= 1, `WhatsApp: ${text}`);
  assert.equal(await wa.locator("[data-id]").count(), fromPhone.length);
  for (const group of [wa, page.locator('[data-collection="imessages"]')]) {
    const times = await group.locator("[data-id] time").evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute("datetime"))));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "results newest first");
  }
  assert.equal(await wa.getByText("Count me in").count(), 0, "Bob's messages are not found");
  // iMessages with +14155550100: im-1001…im-1004 (im-1003 has only a subject).
  const im = page.locator('[data-collection="imessages"]');
  await im.getByText("Are we still on for the ferry? Ticket ref saffron-walrus-1184").waitFor();
  await im.getByText("Got it, thanks. Code word is juniper-accordion-3906").waitFor();
  await im.getByText("Yes! Sending the boarding pass now").waitFor();
  // im-1003: its subject is all it says, shown above "(no text)".
  await im.locator('[data-id] .subject', { hasText: "Boarding pass" }).waitFor();
  assert.equal(await im.locator("[data-id]").count(), 4);
  assert.equal(await im.getByText(/falafel-meteor-8852|cobalt-pretzel-7045/).count(), 0, "other chats are not found");
  await snap(page, "e2e-03-search-phone");
});

test("contacts from the vCards", T, async () => {
  await nav("Contacts");
  for (const name of ["Priya Nightingale-Okafor", "Jürgen Müller-Brightwater", "Bob Quillfeather", "Alice Zephyrine"]) await page.getByText(name).first().waitFor();
  await snap(page, "e2e-04-contacts");
});

test("messages from the WhatsApp export and the iMessages", T, async () => {
  await nav("Messages");
  await page.getByText("Are we still on for the ferry? Ticket ref saffron-walrus-1184").waitFor();
  await snap(page, "e2e-05-messages");
  await page.getByRole("tab", { name: "WhatsApp" }).click();
  await page.getByText("Morning all! Trail plan for Saturday is the zebra-umbrella-7731 loop").waitFor();
  await snap(page, "e2e-06-whatsapp");
});

test("screenshots: decrypted in the browser, pixels equal to the sample PNG files", T, async () => {
  // The files themselves, read in Node, have the documented pixels.
  const files = {};
  for (const [name, want] of Object.entries(SHOTS)) {
    const png = decodePNG(await readFile(join(SAMPLE, "screenshots", name)));
    assert.deepEqual([png.w, png.h], [want.w, want.h], name);
    for (const [x, y, hex] of want.px) assert.deepEqual(png.at(x, y), rgb(hex), `${name} (${x},${y}) in the file`);
    files[name] = png;
  }
  await nav("Screenshots");
  await page.waitForFunction(() => document.querySelectorAll(".shot img").length === 3 && [...document.querySelectorAll(".shot img")].every((i) => i.complete && i.naturalWidth > 0));
  await snap(page, "e2e-07-screenshots");
  // Each thumbnail: found by its size, compared pixel by pixel at the known points.
  for (const [name, want] of Object.entries(SHOTS)) {
    const fig = page.locator("figure.shot").filter({ hasText: `${want.w}×${want.h}` });
    assert.equal(await fig.count(), 1, `one screenshot of ${want.w}×${want.h}`);
    const got = await browserPixels(fig.locator("img"), want.px.map(([x, y]) => [x, y]));
    assert.equal(got.src, "blob:");
    assert.deepEqual([got.w, got.h], [want.w, want.h], name);
    want.px.forEach(([x, y], i) => assert.deepEqual(got.px[i], files[name].at(x, y), `${name} (${x},${y}) in the browser`));
  }
  // The quadrants opened in the lightbox.
  const q = SHOTS["ocean-quadrants.png"];
  await page.locator("figure.shot").filter({ hasText: "160×90" }).locator(".shot-open").click();
  const big = page.locator("dialog.lightbox img");
  await big.waitFor();
  await page.waitForFunction(() => document.querySelector("dialog.lightbox img")?.naturalWidth > 0);
  const got = await browserPixels(big, q.px.map(([x, y]) => [x, y]));
  assert.deepEqual([got.w, got.h], [q.w, q.h]);
  q.px.forEach(([x, y, hex], i) => assert.deepEqual(got.px[i], rgb(hex), `ocean-quadrants (${x},${y}) in the lightbox`));
  await snap(page, "e2e-08-screenshot-open");
  await page.getByRole("button", { name: "Close" }).click();
});

test("attachments: downloaded with the decrypted file name, bytes equal to the sample file", T, async () => {
  const want = await readFile(join(SAMPLE, ATTACHMENT.file));
  await nav("Attachments");
  const row = page.locator("li.file").filter({ hasText: ATTACHMENT.name });
  await row.waitFor();
  await page.locator("li.file").filter({ hasText: "packing-list.txt" }).waitFor();
  await snap(page, "e2e-09-attachments");
  const [dl] = await Promise.all([page.waitForEvent("download"), row.getByRole("button", { name: /Download/ }).click()]);
  assert.equal(dl.suggestedFilename(), ATTACHMENT.name);
  const got = await readFile(await dl.path());
  assert.equal(got.length, want.length);
  assert.ok(got.equals(want), "the downloaded bytes are the sample file's");
  await row.getByText(/Decrypted/).waitFor();
  await snap(page, "e2e-10-attachment-downloaded");
});

test("locations: the twenty points", T, async () => {
  await nav("Locations");
  await page.locator("svg.plot-svg circle").first().waitFor();
  assert.equal(await page.locator("svg.plot-svg circle").count(), 20);
  await snap(page, "e2e-11-locations");
});

test("the address of `ingest open` unlocks a fresh browser, and the key leaves the address bar and history", T, async (t) => {
  const ctx2 = await browser.newContext({ viewport: PHONE, colorScheme: "light" });
  const p2 = await ctx2.newPage();
  p2.setDefaultTimeout(15_000);
  record(p2, requests, pageErrors);
  try {
    await p2.goto(handoverURL);
    await p2.getByRole("heading", { name: "Log in" }).waitFor();
    assert.equal(new URL(p2.url()).hash, "", "the fragment is gone at once");
    await login(p2);
    await p2.getByRole("heading", { name: "Your vault", exact: true }).waitFor();
    assert.match(await p2.locator("#countdown").textContent(), /Unlocked · \d+:\d\d/);
    assert.equal(await p2.getByRole("heading", { name: "Unlock your vault" }).count(), 0, "no passphrase asked");
    const seen = await p2.evaluate(() => ({ href: location.href, hash: location.hash, referrer: document.referrer, state: JSON.stringify(history.state), length: history.length }));
    const navEntry = await p2.evaluate(() => performance.getEntriesByType("navigation").map((e) => e.name).join(" "));
    t.diagnostic(`history.length ${seen.length}; navigation timing entry holds the key: ${navEntry.includes(handoverKey)}`);
    for (const [k, v] of Object.entries(seen)) assert.ok(!String(v).includes(handoverKey) && !String(v).includes(handoverKey.slice(0, 24)), `${k} holds the key`);
    assert.equal(seen.hash, "");
    // Back through the history: no entry holds the key.
    for (let i = 1; i < seen.length; i++) {
      await p2.goBack({ waitUntil: "commit" }).catch(() => {});
      assert.ok(!p2.url().includes(handoverKey), `history entry -${i} holds the key`);
    }
    // The vault opened from the key alone reads the records.
    await p2.goto(server.origin + "/?view=contacts");
    await p2.getByText("Priya Nightingale-Okafor").waitFor();
    assert.ok(!p2.url().includes(handoverKey));
    await p2.screenshot({ path: join(ARTIFACTS, "e2e-12-handover-phone.png"), fullPage: true });
  } finally {
    await ctx2.close();
  }
});

test("no request of the pages carries the passphrase, the key or its bytes; no page errors", T, async () => {
  assert.ok(requests.length > 20, `${requests.length} requests recorded`);
  const raw = Buffer.from(handoverKey, "base64url");
  assert.ok(raw.length >= 32, "the key decodes to bytes");
  const needles = new Map([
    ["passphrase", PASSPHRASE],
    ["passphrase (URL-encoded)", encodeURIComponent(PASSPHRASE)],
    ["passphrase (base64)", Buffer.from(PASSPHRASE).toString("base64").slice(0, 24)],
    ["key", handoverKey],
    ["key (URL-encoded)", encodeURIComponent(handoverKey)],
    ["key (first 24)", handoverKey.slice(0, 24)],
    ["key bytes (hex)", raw.toString("hex").slice(0, 32)],
    ["key bytes (base64)", raw.toString("base64").slice(0, 24)],
    ["key bytes (latin1)", raw.toString("latin1").slice(0, 16)],
    ["write secret", WRITE_SECRET],
  ]);
  // Raw key material inside the keyring: every 32-byte window, as hex, base64 and raw bytes.
  for (let i = 0; i + 32 <= raw.length; i += 8) {
    const w = raw.subarray(i, i + 32);
    needles.set(`key bytes [${i}:${i + 32}] (hex)`, w.toString("hex"));
    needles.set(`key bytes [${i}:${i + 32}] (base64)`, w.toString("base64").slice(0, 40));
    needles.set(`key bytes [${i}:${i + 32}] (base64url)`, w.toString("base64url").slice(0, 40));
    needles.set(`key bytes [${i}:${i + 32}] (raw)`, w.toString("latin1"));
  }
  // The recorder sees bodies: the dashboard secret is in the login's POST (and only there, below).
  assert.ok(requests.some((r) => r.method === "POST" && new URL(r.url).pathname === "/api/v1/session" && r.body.includes(DASHBOARD_SECRET)), "the login's POST body was recorded");
  for (const r of requests) {
    const hay = [r.url, JSON.stringify(r.headers), r.body].join("\n");
    for (const [what, n] of needles) assert.ok(!hay.includes(n), `${r.method} ${r.url} carries the ${what}`);
    if (!(r.method === "POST" && new URL(r.url).pathname === "/api/v1/session")) assert.ok(!hay.includes(DASHBOARD_SECRET), `${r.method} ${r.url} carries the dashboard secret`);
  }
  const origins = new Set(requests.map((r) => new URL(r.url).origin));
  assert.deepEqual([...origins].filter((o) => o !== server.origin && o !== "null" && !o.startsWith("blob:")), [], "no request leaves the origin");
  assert.deepEqual(pageErrors.filter((e) => !/status of 401|status of 404/.test(e)), []);
});

test("after the server stops, nothing of PLAINTEXTS.txt is in its database or blobs", T, async (t) => {
  await stopServer(server);
  const needles = (await readFile(join(SAMPLE, "PLAINTEXTS.txt"), "utf8"))
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  assert.ok(needles.length >= 30, `${needles.length} plaintexts`);
  const files = [];
  async function walk(d) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(p);
    }
  }
  await walk(server.data);
  let bytes = 0;
  let blobs = 0;
  for (const f of files) {
    const b = await readFile(f);
    bytes += b.length;
    if (/blob/i.test(f.slice(server.data.length))) blobs++;
    const lower = b.toString("latin1").toLowerCase();
    const utf8Lower = b.toString("utf8").toLowerCase();
    for (const n of needles) {
      assert.ok(!b.includes(Buffer.from(n)), `${f} holds sample plaintext ${JSON.stringify(n)}`);
      assert.ok(!lower.includes(n.toLowerCase()) && !utf8Lower.includes(n.toLowerCase()), `${f} holds sample plaintext ${JSON.stringify(n)} (case folded)`);
    }
  }
  // The scan reads what the server stored: a plaintext field of the sample (iMessage chatId) is there.
  assert.ok(
    (await Promise.all(files.map((f) => readFile(f)))).some((b) => b.includes(Buffer.from("chat-5f3a"))),
    "the plaintext chatId chat-5f3a is found in the data directory (the scan sees the records)",
  );
  t.diagnostic(`${files.length} files (${blobs} under a blobs directory), ${bytes} bytes scanned for ${needles.length} plaintexts`);
  assert.ok(blobs >= 5, "the 3 screenshots and 2 attachments are stored as blob files");
  assert.ok((await stat(server.data)).isDirectory());
});
