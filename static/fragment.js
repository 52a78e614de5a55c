// The key handover: a client opens the dashboard at
// /#space=<id>&key=<text>. This module is the first to run (app.js imports it
// first): it takes the key out of the address bar and out of the history
// entry before any other code runs or any request is made. A fragment is
// never sent to a server; from here on the key lives only in this module's
// memory until the app hands it to the crypto module and drops it.

let pending = null;

const raw = location.hash.startsWith("#") ? location.hash.slice(1) : "";
if (raw) {
  const p = new URLSearchParams(raw);
  if (p.has("key") || p.has("space")) {
    pending = { space: p.get("space") ?? "", key: p.get("key") ?? "" };
    history.replaceState(history.state, "", location.pathname + location.search);
  }
}

/** The handed-over key, once: later calls get null. */
export function takeHandover() {
  const h = pending;
  pending = null;
  return h;
}
