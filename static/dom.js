// DOM helpers. Every piece of data reaches the page through textContent or an
// attribute set with setAttribute: never innerHTML, never a style attribute
// (the CSP forbids those; classes carry the look).

/**
 * h("button", {class: "primary", onclick: f, disabled: true}, "Save", child…)
 * Attribute values: true sets an empty attribute, false/null/undefined skips it;
 * on* keys add event listeners; `dataset` is an object of data-* values.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value" && "value" in el) el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export const SVG = "http://www.w3.org/2000/svg";

/** An SVG element (namespace set). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Replaces the children of el. */
export function put(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** A <time> element for milliseconds since the epoch. */
export function time(ms, { day = false } = {}) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) return h("span", { class: "muted" }, "—");
  const d = new Date(ms);
  return h("time", { datetime: d.toISOString(), title: d.toISOString() }, (day ? dayFmt : dateFmt).format(d));
}

export function bytes(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "—";
  if (n < 1024) return `${n} B`;
  const u = ["KiB", "MiB", "GiB", "TiB"];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(n < 10 ? 1 : 0)} ${u[i]}`;
}

/** A spinner with a label, for a region that is loading. */
export function loading(text = "Loading…") {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** An empty state: a title, an explanation, optional actions. */
export function empty(title, text, ...actions) {
  return h("div", { class: "empty" }, h("p", { class: "empty-title" }, title), text ? h("p", {}, text) : null, actions.length ? h("div", { class: "actions" }, actions) : null);
}

/** An error box; role=alert so that screen readers announce it. */
export function errorBox(err, ...actions) {
  const { title, detail } = describe(err);
  return h("div", { class: "error-box", role: "alert" }, h("strong", {}, title), detail ? h("p", {}, detail) : null, actions.length ? h("div", { class: "actions" }, actions) : null);
}

/** Human words for an error from the API or the crypto module. */
export function describe(err) {
  if (!err) return { title: "Something went wrong." };
  if (err.name === "ApiError") {
    const t = {
      401: "You are not logged in, or your session has ended.",
      403: "Not allowed.",
      404: "Not found.",
      413: "Too large.",
      429: "Too many attempts.",
    }[err.status];
    return { title: t ?? `The server refused the request (${err.status}).`, detail: err.message };
  }
  if (err.name === "ZkvaultError") {
    const t = {
      incorrect_key: "The key does not fit: wrong passphrase or key, or data for another vault.",
      corrupt: "The data is damaged or was tampered with.",
      parse: "The data is not in a format zkvault reads.",
      unknown_key_version: "This data uses a key version this unlock does not hold.",
      closed: "The vault was locked.",
    }[err.code];
    return { title: t ?? `Decryption failed (${err.code}).`, detail: err.message };
  }
  if (err.name === "TypeError" && /fetch/i.test(err.message)) return { title: "The server cannot be reached.", detail: err.message };
  return { title: err.message || String(err) };
}

/** A button. */
export function button(label, onclick, { kind = "", type = "button", ...rest } = {}) {
  return h("button", { type, class: kind ? `btn ${kind}` : "btn", onclick, ...rest }, label);
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h("p", { class: "hint", id: `${id}-hint` }, hint);
    input.setAttribute("aria-describedby", hintEl.id);
  }
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl);
}

/** Announces a short message in the toast area. */
export function toast(text, kind = "info") {
  const area = document.getElementById("toasts");
  if (!area) return;
  const t = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  area.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
}

/** Date input value (yyyy-mm-dd, local) ↔ milliseconds. */
export function dayStart(v) {
  if (!v) return undefined;
  const [y, m, d] = v.split("-").map(Number);
  return new Date(y, m - 1, d).getTime();
}
export function dayEnd(v) {
  const t = dayStart(v);
  return t === undefined ? undefined : t + 24 * 3600 * 1000 - 1;
}
