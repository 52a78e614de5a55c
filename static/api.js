// The API v1 client of the dashboard. Every call is same-origin with the
// session cookie (credentials "same-origin", HttpOnly: script never sees it);
// unsafe methods carry the anti-CSRF token (X-CSRF-Token, from the session
// answer or the readable zkvault_csrf cookie); errors become ApiError with the
// server's {error:{code,message}}.
//
// Login: POST /api/v1/session {"secret"} sets the cookie; GET /api/v1/session
// says who is logged in; DELETE /api/v1/session logs out.

const BASE = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

let csrfToken = null;
let onUnauthorized = () => {};

/** Called when a request answers 401 (the session ended): the app shows the login. */
export function setUnauthorizedHandler(f) {
  onUnauthorized = f;
}

function csrfFromCookie() {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (/csrf/i.test(k)) return decodeURIComponent(v.join("="));
  }
  return null;
}

function pickCSRF(body) {
  if (!body || typeof body !== "object") return;
  const t = body.csrf_token ?? body.csrfToken ?? body.csrf;
  if (typeof t === "string" && t) csrfToken = t;
}

async function errorOf(res) {
  let code = "http_" + res.status;
  let message = res.statusText;
  try {
    const body = await res.json();
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    }
  } catch {
    // not JSON
  }
  return new ApiError(res.status, code, message);
}

/**
 * A request. opts: {method, query, json, body, headers, raw (return the Response),
 * signal, quiet401 (do not call the unauthorized handler)}.
 */
export async function request(path, opts = {}) {
  const method = opts.method ?? (opts.json !== undefined ? "POST" : "GET");
  const url = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  const headers = new Headers(opts.headers);
  if (!headers.has("Accept")) headers.set("Accept", "application/json");
  let body = opts.body;
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(opts.json);
  }
  if (UNSAFE.has(method)) {
    const t = csrfToken ?? csrfFromCookie();
    if (t) headers.set("X-CSRF-Token", t);
  }
  const res = await fetch(url, { method, headers, body, credentials: "same-origin", cache: "no-store", signal: opts.signal, redirect: "error" });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !opts.quiet401) onUnauthorized(err);
    throw err;
  }
  if (opts.raw) return res;
  if (res.status === 204) return null;
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  pickCSRF(data);
  return data;
}

/**
 * Logs in with the dashboard secret. Rejects with ApiError (401 wrong secret,
 * 429 too many attempts).
 */
export async function login(secret) {
  const r = await request("/session", { json: { secret }, quiet401: true });
  pickCSRF(r);
  return r;
}

/** Ends the session on the server (the cookie is cleared by the answer). */
export async function logout() {
  try {
    await request("/session", { method: "DELETE", quiet401: true });
  } finally {
    csrfToken = null;
  }
}

/** The session (GET /session: {kind, admin, csrf_token…}), or null when logged out. */
export async function checkSession() {
  try {
    const r = await request("/session", { quiet401: true });
    pickCSRF(r);
    return r;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

const enc = encodeURIComponent;

export const api = {
  spaces: (cursor) => request("/spaces", { query: { cursor, limit: 100 } }),
  space: (id) => request(`/spaces/${enc(id)}`),
  records: (space, coll, q = {}) => request(`/spaces/${enc(space)}/collections/${enc(coll)}/records`, { query: q }),
  /** The encrypted blob as a Response (body streamed). */
  blob: (space, blob, signal) => request(`/spaces/${enc(space)}/blobs/${enc(blob)}`, { raw: true, signal, headers: { Accept: "application/octet-stream" } }),
  principals: (cursor) => request("/principals", { query: { cursor, limit: 100 } }),
  tokens: () => request("/tokens"),
  createToken: (body) => request("/tokens", { json: body }),
  revokeToken: (prefix) => request(`/tokens/${enc(prefix)}`, { method: "DELETE" }),
  logs: (kind, cursor, limit = 50) => request(`/logs/${enc(kind)}`, { query: { cursor, limit } }),
  loginAttempts: (cursor, limit = 50) => request("/login-attempts", { query: { cursor, limit } }),
};
