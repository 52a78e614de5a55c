// Write and read logs (newest first), and login attempts.
import { api } from "../api.js";
import { button, empty, errorBox, h, loading, put, time } from "../dom.js";
import { Cursors, pager } from "./common.js";

const KINDS = { write: "Writes", read: "Reads", logins: "Logins" };

export default function logsView(app) {
  let kind = app.params().get("k");
  if (!KINDS[kind]) kind = "write";
  const cur = new Cursors();
  const box = h("div", { "aria-live": "polite" });
  const tabs = h(
    "div",
    { class: "tabs", role: "tablist" },
    Object.entries(KINDS).map(([k, l]) => h("button", { type: "button", role: "tab", class: k === kind ? "tab active" : "tab", "aria-selected": String(k === kind), onclick: () => app.go("logs", { k }) }, l)),
  );

  async function load() {
    put(box, loading());
    try {
      const res = kind === "logins" ? await api.loginAttempts(cur.cursor) : await api.logs(kind, cur.cursor);
      cur.next = res.next_cursor ?? null;
      if (res.items.length === 0) {
        put(box, empty(cur.page > 1 ? "No older entries." : "Nothing logged yet.", kind === "logins" ? "Failed and recovered login attempts appear here." : `Every ${kind} through the API appears here.`));
      } else {
        put(box, h("div", { class: "table-wrap" }, kind === "logins" ? logins(res.items) : entries(res.items)));
      }
      box.append(...[pager({ page: cur.page, hasPrev: cur.page > 1, hasNext: !!cur.next, onPrev: () => (cur.back(), load()), onNext: () => (cur.forward(), load()) })].filter(Boolean));
    } catch (e) {
      put(box, errorBox(e, button("Try again", load)));
    }
  }

  function entries(items) {
    return h(
      "table",
      { class: "log" },
      h("thead", {}, h("tr", {}, ["Time", "Event", "Count", "By", "Details"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        items.map((e) =>
          h(
            "tr",
            {},
            h("td", { "data-label": "Time" }, h("span", {}, time(e.time))),
            h("td", { "data-label": "Event" }, h("span", {}, h("code", {}, e.type))),
            h("td", { "data-label": "Count", class: "num" }, h("span", {}, String(e.count))),
            h("td", { "data-label": "By" }, h("span", {}, e.token_prefix ? h("code", {}, e.token_prefix.startsWith("zkt_") ? `${e.token_prefix}…` : e.token_prefix) : "—")),
            h("td", { "data-label": "Details" }, h("span", {}, e.description)),
          ),
        ),
      ),
    );
  }

  function logins(items) {
    return h(
      "table",
      { class: "log" },
      h("thead", {}, h("tr", {}, ["Time", "Address", "Result"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.map((a) => h("tr", {}, h("td", { "data-label": "Time" }, h("span", {}, time(a.time))), h("td", { "data-label": "Address" }, h("span", {}, h("code", {}, a.addr))), h("td", { "data-label": "Result" }, h("span", {}, h("span", { class: `badge ${a.success ? "active" : "revoked"}` }, a.success ? "success" : "failed")))))),
    );
  }

  load();
  return h("section", { class: "page" }, h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Logs"), tabs), box);
}
