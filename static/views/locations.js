// Locations: decrypted points drawn on an SVG plot with axes (no map tiles: nothing
// is fetched from anywhere else), filtered by date range.
import { button, dayEnd, dayStart, empty, errorBox, field, h, loading, put, s, time } from "../dom.js";
import * as vault from "../vault.js";

const MAX_POINTS = 5000;

export default function locationsView() {
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  const out = h("div", { "aria-live": "polite" });

  async function load() {
    const status = h("span", {}, "Fetching and decrypting locations…");
    put(out, h("div", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), status));
    try {
      if (!vault.hasCollection("locations")) {
        put(out, empty("No locations in this vault.", "Your client has not uploaded locations yet."));
        return;
      }
      const pts = [];
      let bad = 0;
      let cursor;
      let truncated = false;
      const q = { from: dayStart(from.value) ?? 0, to: dayEnd(to.value), limit: 500 };
      do {
        const res = await vault.page("locations", { ...q, cursor });
        for (const r of res.items) {
          const la = r.fields?.latitude;
          const lo = r.fields?.longitude;
          if (r.error || typeof la !== "number" || typeof lo !== "number" || Math.abs(la) > 90 || Math.abs(lo) > 180) bad++;
          else pts.push({ id: r.id, lat: la, lon: lo, t: r.fields.timestamp, acc: r.fields.accuracy });
        }
        cursor = res.next;
        status.textContent = `Fetching and decrypting locations… ${pts.length}`;
        if (pts.length >= MAX_POINTS && cursor) {
          truncated = true;
          break;
        }
      } while (cursor);
      if (pts.length === 0) {
        put(out, empty(bad ? "No readable locations." : "No locations in this range.", bad ? `${bad} could not be decrypted.` : "Try a wider date range."));
        return;
      }
      put(
        out,
        h("p", { class: "muted", id: "loc-summary" }, `${pts.length} point${pts.length === 1 ? "" : "s"}`, truncated ? ` (the first ${MAX_POINTS}; narrow the dates to see the rest)` : "", bad ? ` · ${bad} could not be decrypted` : "", "."),
        h("figure", { class: "plot card" }, plotBox(pts), h("figcaption", { class: "legend" }, h("span", { class: "dot old" }), "older", h("span", { class: "dot new" }), "newer", h("span", { class: "muted" }, " · longitude → , latitude ↑"))),
        table(pts),
      );
    } catch (e) {
      if (e?.name === "Locked") throw e;
      put(out, errorBox(e, button("Try again", load)));
    }
  }

  load();
  return h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Locations")),
    h(
      "form",
      {
        class: "filters card",
        onsubmit: (ev) => {
          ev.preventDefault();
          load();
        },
      },
      field("From", from),
      field("To", to),
      h("div", { class: "filter-actions" }, button("Apply", null, { type: "submit", kind: "primary" }), button("Clear", () => ((from.value = to.value = ""), load()), { kind: "ghost" })),
    ),
    out,
  );
}

/** The plot, redrawn when its width changes (labels stay real pixels). */
function plotBox(pts) {
  const box = h("div", { class: "plot-box" });
  let drawn = 0;
  const draw = () => {
    const w = box.clientWidth;
    if (!w || Math.abs(w - drawn) < 24) return;
    drawn = w;
    put(box, plot(pts, w));
  };
  new ResizeObserver(draw).observe(box);
  return box;
}

/** Round tick steps: 1, 2, 5 × 10^n. */
function ticks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((x) => x >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return { out, step };
}

function fmtDeg(v, step, pos, neg) {
  const d = Math.max(0, -Math.floor(Math.log10(step)));
  return `${Math.abs(v).toFixed(d)}°${v === 0 ? "" : v > 0 ? pos : neg}`;
}

function plot(pts, avail) {
  let [minLat, maxLat, minLon, maxLon] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of pts) {
    minLat = Math.min(minLat, p.lat);
    maxLat = Math.max(maxLat, p.lat);
    minLon = Math.min(minLon, p.lon);
    maxLon = Math.max(maxLon, p.lon);
  }
  // Pad, and keep a minimum extent so that one point is not a zero-size box.
  const padLat = Math.max((maxLat - minLat) * 0.08, 0.005);
  const padLon = Math.max((maxLon - minLon) * 0.08, 0.005);
  minLat -= padLat;
  maxLat += padLat;
  minLon -= padLon;
  maxLon += padLon;
  // Equirectangular with the x scale shrunk by cos(latitude): shapes look right locally.
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180) || 1;
  // Draw at the size shown, so that the labels are real pixels on a phone too.
  const W = Math.round(Math.max(avail || 640, 280));
  const M = { l: 80, r: 12, t: 14, b: 40 };
  const pw = W - M.l - M.r;
  const ratio = (maxLat - minLat) / ((maxLon - minLon) * k);
  const ph = Math.min(Math.max(pw * ratio, 200), 520);
  const H = ph + M.t + M.b;
  const x = (lon) => M.l + ((lon - minLon) / (maxLon - minLon)) * pw;
  const y = (lat) => M.t + (1 - (lat - minLat) / (maxLat - minLat)) * ph;
  const tx = ticks(minLon, maxLon, 5);
  const ty = ticks(minLat, maxLat, 5);
  const t0 = Math.min(...pts.map((p) => p.t ?? 0));
  const t1 = Math.max(...pts.map((p) => p.t ?? 0));
  const bucket = (t) => (t1 > t0 ? Math.min(4, Math.floor(((t - t0) / (t1 - t0)) * 5)) : 4);
  const svg = s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "plot-svg", role: "img", "aria-labelledby": "plot-title plot-desc" },
    s("title", { id: "plot-title" }, "Locations"),
    s("desc", { id: "plot-desc" }, `${pts.length} points between latitudes ${minLat.toFixed(3)} and ${maxLat.toFixed(3)}, longitudes ${minLon.toFixed(3)} and ${maxLon.toFixed(3)}.`),
    s("rect", { x: M.l, y: M.t, width: pw, height: ph, class: "plot-bg" }),
    tx.out.map((v) => [s("line", { x1: x(v), x2: x(v), y1: M.t, y2: M.t + ph, class: "grid" }), s("text", { x: x(v), y: M.t + ph + 18, class: "tick", "text-anchor": "middle" }, fmtDeg(v, tx.step, "E", "W"))]),
    ty.out.map((v) => [s("line", { x1: M.l, x2: M.l + pw, y1: y(v), y2: y(v), class: "grid" }), s("text", { x: M.l - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, fmtDeg(v, ty.step, "N", "S"))]),
    s("line", { x1: M.l, x2: M.l + pw, y1: M.t + ph, y2: M.t + ph, class: "axis" }),
    s("line", { x1: M.l, x2: M.l, y1: M.t, y2: M.t + ph, class: "axis" }),
    s("text", { x: M.l + pw / 2, y: H - 4, class: "axis-label", "text-anchor": "middle" }, "Longitude"),
    s("text", { x: 12, y: M.t + ph / 2, class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 12 ${M.t + ph / 2})` }, "Latitude"),
    s(
      "g",
      { class: "points" },
      [...pts]
        .sort((a, b) => (a.t ?? 0) - (b.t ?? 0))
        .map((p) => s("circle", { cx: x(p.lon).toFixed(1), cy: y(p.lat).toFixed(1), r: 4, class: `pt b${bucket(p.t)}` }, s("title", {}, `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} · ${p.t ? new Date(p.t).toLocaleString() : ""}${p.acc ? ` · ±${Math.round(p.acc)} m` : ""}`))),
    ),
  );
  return svg;
}

function table(pts) {
  const rows = [...pts].sort((a, b) => (b.t ?? 0) - (a.t ?? 0));
  const shown = rows.slice(0, 50);
  return h(
    "details",
    { class: "card" },
    h("summary", {}, `Points as a table${rows.length > shown.length ? ` (newest ${shown.length})` : ""}`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, "Latitude"), h("th", { scope: "col" }, "Longitude"), h("th", { scope: "col" }, "Accuracy"))),
        h("tbody", {}, shown.map((p) => h("tr", {}, h("td", {}, time(p.t)), h("td", { class: "num" }, p.lat.toFixed(5)), h("td", { class: "num" }, p.lon.toFixed(5)), h("td", { class: "num" }, p.acc ? `±${Math.round(p.acc)} m` : "—")))),
      ),
    ),
  );
}
