// The dashboard: a small router over views (views/*.js). The address is
// /?view=<name>[&c=<collection>]: only view names go in the URL, never a search
// term or a key (a query string reaches the server; a reload would send it).
import { takeHandover } from "./fragment.js"; // first: removes the key from the address bar
import { checkSession, logout, setUnauthorizedHandler } from "./api.js";
import { $, button, errorBox, h, loading, put, toast } from "./dom.js";
import * as vault from "./vault.js";

import loginView from "./views/login.js";
import unlockView from "./views/unlock.js";
import homeView from "./views/home.js";
import browseView from "./views/browse.js";
import searchView from "./views/search.js";
import screenshotsView from "./views/screenshots.js";
import attachmentsView from "./views/attachments.js";
import locationsView from "./views/locations.js";
import contactsView from "./views/contacts.js";
import tokensView from "./views/tokens.js";
import logsView from "./views/logs.js";

// needs: "login" (only logged out), "auth" (logged in), "vault" (logged in and unlocked)
const VIEWS = {
  login: { render: loginView, needs: "none", title: "Log in" },
  unlock: { render: unlockView, needs: "auth", title: "Unlock" },
  home: { render: homeView, needs: "vault", title: "Overview" },
  browse: { render: browseView, needs: "vault", title: "Messages" },
  search: { render: searchView, needs: "vault", title: "Search" },
  screenshots: { render: screenshotsView, needs: "vault", title: "Screenshots" },
  attachments: { render: attachmentsView, needs: "vault", title: "Attachments" },
  locations: { render: locationsView, needs: "vault", title: "Locations" },
  contacts: { render: contactsView, needs: "vault", title: "Contacts" },
  tokens: { render: tokensView, needs: "auth", title: "Read tokens" },
  logs: { render: logsView, needs: "auth", title: "Logs" },
};

const NAV = [
  ["home", "Overview"],
  ["browse", "Messages", "imessages"],
  ["search", "Search"],
  ["contacts", "Contacts"],
  ["screenshots", "Screenshots"],
  ["attachments", "Attachments"],
  ["locations", "Locations"],
  ["tokens", "Tokens"],
  ["logs", "Logs"],
];

const state = { loggedIn: false, renderId: 0, cleanup: null };

/** The app object views receive. */
const app = {
  go(view, params = {}, { replace = false } = {}) {
    const q = new URLSearchParams({ view, ...params });
    const url = `/?${q}`;
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    return render();
  },
  params: () => new URLSearchParams(location.search),
  async loggedIn() {
    state.loggedIn = true;
    await afterLogin();
  },
  async unlocked() {
    const q = app.params();
    const want = q.get("view");
    const keep = Object.fromEntries([...q].filter(([k]) => k === "c" || k === "k"));
    await app.go(want && VIEWS[want] && VIEWS[want].needs !== "none" && want !== "unlock" ? want : "home", keep, { replace: true });
  },
  async lock() {
    await vault.lock("locked");
    toast("Locked. The key is gone from this browser.");
    await app.go("unlock", {}, { replace: false });
  },
  async logout() {
    await vault.lockAll();
    try {
      await logout();
    } catch (e) {
      if (e?.status !== 401) toast(`Logout on the server failed: ${e.message}`, "error");
    }
    state.loggedIn = false;
    await app.go("login", {}, { replace: true });
  },
  /** Registers a cleanup for the current view (timers, object URLs). */
  onLeave(f) {
    const prev = state.cleanup;
    state.cleanup = () => {
      prev?.();
      f();
    };
  },
};

async function render() {
  const id = ++state.renderId;
  state.cleanup?.();
  state.cleanup = null;
  const q = app.params();
  let name = q.get("view") || (state.loggedIn ? (vault.current() ? "home" : "unlock") : "login");
  if (!VIEWS[name]) name = "home";
  let v = VIEWS[name];
  if (!state.loggedIn && v.needs !== "none") {
    name = "login";
  } else if (state.loggedIn && name === "login") {
    name = vault.current() ? "home" : "unlock";
  } else if (v.needs === "vault" && !vault.current()) {
    name = "unlock";
  }
  v = VIEWS[name];
  if (q.get("view") !== name) {
    // keep the wanted view in the address so that unlock comes back to it
    // Going through login or unlock keeps the wanted view in the address, so
    // that the app comes back to it afterwards.
    const gate = name === "unlock" || name === "login";
    const wanted = q.get("view");
    const keep = gate && VIEWS[wanted] && wanted !== "login" && wanted !== "unlock" ? q : new URLSearchParams({ view: name });
    history.replaceState(null, "", `/?${keep}`);
  }
  document.title = `${v.title} · zkvault`;
  chrome(name);
  const main = $("#main");
  main.dataset.view = name;
  put(main, loading());
  try {
    const node = await v.render(app, main);
    if (id !== state.renderId) return;
    if (node) put(main, node);
  } catch (e) {
    if (id !== state.renderId) return;
    if (e?.name === "Locked") return app.go("unlock", {}, { replace: true });
    console.warn(e);
    put(main, h("section", { class: "page" }, errorBox(e, button("Try again", () => render()), button("Overview", () => app.go("home")))));
  }
  // Focus the page heading for keyboard and screen-reader users (not the first render).
  if (state.rendered) main.querySelector("h1")?.focus?.();
  state.rendered = true;
}

function chrome(active) {
  const unlocked = !!vault.current();
  const nav = $("#nav");
  $("#logout").hidden = !state.loggedIn;
  $("#session").hidden = !unlocked;
  nav.hidden = !state.loggedIn || active === "login";
  put(
    nav,
    NAV.filter(([v]) => unlocked || VIEWS[v].needs !== "vault")
      .concat(unlocked ? [] : [["unlock", "Unlock"]])
      .map(([v, label, coll]) => {
        const cur = v === active;
        return h(
          "a",
          {
            href: `/?view=${v}${coll ? `&c=${coll}` : ""}`,
            class: cur ? "active" : "",
            "aria-current": cur ? "page" : null,
            onclick: (ev) => {
              if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
              ev.preventDefault();
              app.go(v, coll ? { c: coll } : {});
            },
          },
          label,
        );
      }),
  );
  nav.querySelector(".active")?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  tick();
}

// ---- the session countdown

function tick() {
  const left = vault.timeLeft();
  const el = $("#countdown");
  if (!vault.current()) return;
  const m = Math.floor(left / 60000);
  const s = Math.floor((left % 60000) / 1000);
  put(el, h("span", { class: "long" }, "Unlocked · "), `${m}:${String(s).padStart(2, "0")}`);
  el.setAttribute("aria-label", `Vault unlocked, locks in ${m} minutes ${s} seconds`);
  el.classList.toggle("warn", left < 5 * 60000);
}
setInterval(tick, 1000);

vault.onChange(() => {
  if (vault.current()) {
    $("#session").hidden = false;
    tick();
  } else {
    $("#session").hidden = true;
    if (vault.lockReason() === "expired") {
      toast("The hour is over: the vault locked itself. Unlock again to continue.", "error");
      // A view that needs the vault shows the unlock form (and comes back after it).
      if (VIEWS[app.params().get("view")]?.needs === "vault") render();
      else chrome(app.params().get("view"));
    }
  }
});

async function afterLogin() {
  // Restore an unlock kept by this browser (at most one hour), unless a handover is pending.
  const ho = takeHandover();
  if (ho) {
    put($("#main"), h("section", { class: "page narrow" }, h("h1", {}, "Unlocking"), loading("Opening the key handed over by your client…")));
    try {
      if (!ho.space || !ho.key) throw new Error("The link is incomplete: it needs both space and key.");
      await vault.unlockWithHandover(ho.space, ho.key);
      toast("Unlocked with the key from your client.");
      return app.unlocked();
    } catch (e) {
      toast(`The handed-over key did not work: ${e.message}`, "error");
      return app.go("unlock", { handover: "failed" }, { replace: true });
    }
  }
  try {
    await vault.restore();
  } catch (e) {
    if (e?.name === "ApiError" && e.status === 401) return;
    toast(e.message, "error");
  }
  if (vault.current()) return app.unlocked();
  return render();
}

setUnauthorizedHandler(() => {
  if (!state.loggedIn) return;
  state.loggedIn = false;
  vault.lock("logout");
  toast("Your login has ended. Log in again.", "error");
  app.go("login", {}, { replace: true });
});

$("#lock").addEventListener("click", () => app.lock());
$("#logout").addEventListener("click", () => app.logout());
$("#brand").addEventListener("click", (ev) => {
  ev.preventDefault();
  app.go(state.loggedIn ? (vault.current() ? "home" : "unlock") : "login");
});
addEventListener("popstate", () => render());

// Start the crypto module early: unlock needs it, and it takes a moment.
vault.loadModule().catch(() => {});

try {
  state.loggedIn = !!(await checkSession());
} catch (e) {
  state.loggedIn = false;
  put($("#main"), h("section", { class: "page narrow" }, errorBox(e, button("Try again", () => location.reload()))));
}
if (state.loggedIn) await afterLogin();
else await render();
