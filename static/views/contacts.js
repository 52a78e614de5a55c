// Contacts as cards.
import { button, empty, errorBox, h, loading, put } from "../dom.js";
import * as vault from "../vault.js";
import { Cursors, badField, pager, partlyUnreadable, unreadable } from "./common.js";

const PAGE = 24;

/** A contact card for an opened record. */
export function contactCard(r) {
  if (r.error) return h("article", { class: "contact card" }, unreadable(r));
  const f = r.fields;
  const e = r.errors ?? {};
  const name = [f.firstName, f.lastName].filter((x) => typeof x === "string" && x).join(" ");
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0].toUpperCase())
    .join("");
  const list = (key, label, href) => {
    if (e[key]) return h("div", { class: "row" }, h("dt", {}, label), h("dd", {}, badField(e[key])));
    const vs = Array.isArray(f[key]) ? f[key] : f[key] ? [f[key]] : [];
    if (vs.length === 0) return null;
    return h("div", { class: "row" }, h("dt", {}, label), h("dd", {}, h("ul", { class: "plain" }, vs.map((v) => h("li", {}, href ? h("a", { href: href(v), rel: "noopener" }, v) : v)))));
  };
  return h(
    "article",
    { class: "contact card", dataset: { id: r.id } },
    h(
      "header",
      { class: "contact-head" },
      h("span", { class: "avatar", "aria-hidden": "true" }, initials || "?"),
      h(
        "div",
        {},
        h("h3", {}, e.firstName || e.lastName ? h("span", { class: "muted" }, "Unreadable contact") : name || h("span", { class: "muted" }, "(no name)")),
        !e.organization && f.organization ? h("p", { class: "muted" }, f.organization) : null,
      ),
    ),
    partlyUnreadable(r),
    h(
      "dl",
      { class: "kv" },
      list("phoneNumbers", "Phone", (v) => `tel:${v.replace(/[^\d+]/g, "")}`),
      list("emails", "E-mail", (v) => `mailto:${v}`),
    ),
  );
}

export default function contactsView() {
  const cur = new Cursors();
  const grid = h("div", { class: "cards", "aria-live": "polite" });
  const foot = h("div");
  async function load() {
    put(grid, loading("Fetching and decrypting contacts…"));
    foot.replaceChildren();
    try {
      if (!vault.hasCollection("contacts")) {
        put(grid, empty("No contacts in this vault.", "Your client has not uploaded contacts yet."));
        return;
      }
      const res = await vault.page("contacts", { limit: PAGE, cursor: cur.cursor });
      cur.next = res.next;
      if (res.items.length === 0) put(grid, empty("No contacts.", "The collection is empty."));
      else put(grid, res.items.map(contactCard));
      put(foot, pager({ page: cur.page, hasPrev: cur.page > 1, hasNext: !!cur.next, count: res.items.length, onPrev: () => (cur.back(), load()), onNext: () => (cur.forward(), load()) }));
    } catch (e) {
      if (e?.name === "Locked") throw e;
      put(grid, errorBox(e, button("Try again", load)));
    }
  }
  load();
  return h("section", { class: "page" }, h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Contacts"), h("p", { class: "muted" }, "To find one by phone, name or e-mail, use Search.")), grid, foot);
}
