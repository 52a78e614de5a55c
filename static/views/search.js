// Exact search by phone number, name or e-mail through the blind indexes.
// The typed value never leaves the browser: the module turns it into index
// values (HMACs) and only those are sent. The index is truncated on purpose,
// so the server answers with some false positives, filtered here after
// decryption.
import { button, describe, empty, errorBox, field, h, loading, put, time } from "../dom.js";
import * as vault from "../vault.js";
import { partlyUnreadable, unreadable, val } from "./common.js";
import { contactCard } from "./contacts.js";

const TARGETS = {
  phone: {
    label: "Phone number",
    input: "tel",
    where: [
      ["contacts", "phoneNumbers"],
      ["imessages", "contactPhone"],
      ["whatsapp_messages", "senderPhoneNumber"],
    ],
  },
  email: {
    label: "E-mail",
    input: "email",
    where: [
      ["contacts", "emails"],
      ["imessages", "contactEmail"],
    ],
  },
  name: {
    label: "Name",
    input: "text",
    where: [
      ["contacts", "name"],
      ["whatsapp_messages", "senderName"],
      ["whatsapp_messages", "chatName"],
      ["imessages", "chatName"],
    ],
  },
};

const REGIONS = ["US", "CA", "GB", "IE", "FR", "DE", "CH", "AT", "IT", "ES", "PT", "NL", "BE", "SE", "NO", "DK", "FI", "PL", "BR", "MX", "AR", "IN", "JP", "AU", "NZ", "ZA"];

function defaultRegion() {
  try {
    const r = new Intl.Locale(navigator.language).maximize().region;
    if (r && REGIONS.includes(r)) return r;
  } catch {
    // ignore
  }
  return "US";
}

/** The query values for an index: a compound index takes one string per field. */
function candidates(sc, index, value) {
  const fields = sc.indexes?.[index]?.fields ?? [];
  if (fields.length <= 1) return [value];
  // "Ada Lovelace" over [firstName, lastName]: try every split of the words.
  const words = value.trim().split(/\s+/);
  const out = [];
  for (let i = 0; i <= words.length; i++) out.push([words.slice(0, i).join(" "), words.slice(i).join(" ")]);
  return out;
}

export default function searchView(app) {
  const kind = h("select", { name: "kind" }, Object.entries(TARGETS).map(([k, t]) => h("option", { value: k }, t.label)));
  const q = h("input", { type: "search", name: "q", required: true, autocomplete: "off", spellcheck: "false", autocapitalize: "off", enterkeyhint: "search" });
  const region = h("select", { name: "region" }, REGIONS.map((r) => h("option", { value: r }, r)));
  region.value = defaultRegion();
  const regionField = field("Default country", region, "For numbers written without a country code.");
  const out = h("div", { class: "search-results", "aria-live": "polite" });
  const submit = button("Search", null, { type: "submit", kind: "primary" });
  const sync = () => {
    q.type = TARGETS[kind.value].input === "email" ? "email" : TARGETS[kind.value].input === "tel" ? "tel" : "search";
    q.inputMode = TARGETS[kind.value].input === "tel" ? "tel" : "text";
    regionField.hidden = kind.value !== "phone";
  };
  kind.addEventListener("change", sync);
  sync();

  async function run(ev) {
    ev.preventDefault();
    const value = q.value.trim();
    if (!value) return;
    const t = TARGETS[kind.value];
    submit.disabled = true;
    put(out, loading("Computing the blind index and searching…"));
    try {
      const groups = [];
      let total = 0;
      let fps = 0;
      let invalid = null;
      for (const [coll, index] of t.where) {
        if (!vault.hasCollection(coll)) continue;
        const sc = await vault.schema(coll);
        if (!sc?.indexes?.[index]) continue;
        const r = await vault.search(coll, index, candidates(sc, index, value), { region: kind.value === "phone" ? region.value : undefined });
        invalid ??= r.invalid;
        fps += r.falsePositives;
        total += r.items.length;
        if (r.items.length) groups.push([coll, index, r.items]);
      }
      const summary = h(
        "p",
        { class: "muted", id: "search-summary" },
        `${total} result${total === 1 ? "" : "s"} for “${value}”.`,
        fps ? ` ${fps} false positive${fps === 1 ? "" : "s"} of the blind index filtered out after decryption.` : "",
      );
      if (total === 0) {
        const why = invalid && kind.value === "phone" ? "That does not read as a phone number for the chosen country." : "Search is exact: the whole number, name or address, written any way (spaces, dashes and case do not matter).";
        put(out, summary, empty("Nothing found.", why));
      } else {
        put(out, summary, groups.map(([coll, index, items]) => group(coll, index, items)));
      }
    } catch (e) {
      if (e?.name === "Locked") throw e;
      put(out, errorBox(e));
    } finally {
      submit.disabled = false;
    }
  }

  function group(coll, index, items) {
    const title = vault.COLLECTIONS.find((c) => c.name === coll)?.title ?? coll;
    if (coll !== "contacts") {
      // The server answers in index order, which says nothing; show the newest first.
      const tf = coll === "imessages" ? "date" : "timestamp";
      const at = (r) => (typeof r.fields?.[tf] === "number" ? r.fields[tf] : -Infinity);
      items = [...items].sort((a, b) => at(b) - at(a));
    }
    const body = coll === "contacts" ? h("div", { class: "cards" }, items.map(contactCard)) : h("div", { class: "records" }, items.map((r) => hit(coll, r)));
    return h("section", { class: "result-group", dataset: { collection: coll, index } }, h("h2", {}, `${title} `, h("span", { class: "muted" }, `· ${items.length}`)), body);
  }

  function hit(coll, r) {
    if (r.error) return h("article", { class: "msg card" }, unreadable(r));
    const tf = coll === "imessages" ? "date" : "timestamp";
    const who = r.fields.isFromMe ? "Me" : coll === "imessages" ? val(r, "contactIdentifier", "Unknown") : val(r, "senderName", "") || val(r, "senderPhoneNumber", "Unknown");
    return h(
      "article",
      { class: "msg card", dataset: { id: r.id } },
      h("header", { class: "msg-head" }, h("strong", {}, who), h("span", { class: "spacer" }), time(r.fields[tf])),
      partlyUnreadable(r),
      r.fields.subject ? h("p", { class: "subject" }, val(r, "subject")) : null,
      r.errors?.text ? null : h("p", { class: "msg-text" }, val(r, "text", "") || h("span", { class: "muted" }, "(no text)")),
      r.fields.chatName || r.errors?.chatName ? h("footer", { class: "msg-foot" }, h("span", { class: "chip" }, val(r, "chatName"))) : null,
    );
  }

  queueMicrotask(() => q.focus());
  return h(
    "section",
    { class: "page" },
    h("h1", { tabindex: "-1" }, "Search"),
    h("p", { class: "lede" }, "Exact search through blind indexes: what you type is turned into keyed hashes in this browser, and only those go to the server."),
    h("form", { class: "filters card", role: "search", onsubmit: run }, field("Search by", kind), field("Value", q), regionField, h("div", { class: "filter-actions" }, submit)),
    out,
  );
}
