// Messages (iMessage, WhatsApp): pages of decrypted records, filtered by date
// range and chat (plaintext filters on the server; WhatsApp's chat id is
// encrypted, so its filter goes through the blind index).
import { button, dayEnd, dayStart, empty, errorBox, field, h, loading, put, time } from "../dom.js";
import * as vault from "../vault.js";
import { Cursors, pager, partlyUnreadable, unreadable, val } from "./common.js";

const PAGE = 25;
const KINDS = {
  imessages: { title: "iMessage", time: "date", who: "contactIdentifier", chat: "chatName", chatFilter: { field: "chatId" } },
  whatsapp_messages: { title: "WhatsApp", time: "timestamp", who: "senderName", phone: "senderPhoneNumber", chat: "chatName", chatFilter: { index: "chatId", decrypted: "chatId" } },
};

export default function browseView(app) {
  let coll = app.params().get("c");
  if (!KINDS[coll]) coll = "imessages";
  const k = KINDS[coll];
  const cur = new Cursors();
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  const chat = h("input", { type: "text", name: "chat", placeholder: "any chat", autocomplete: "off", spellcheck: "false" });
  const list = h("div", { class: "records", "aria-live": "polite" });
  let chatLabel = "";

  const tabs = h(
    "div",
    { class: "tabs", role: "tablist" },
    Object.entries(KINDS).map(([name, kk]) =>
      h("button", { type: "button", role: "tab", class: name === coll ? "tab active" : "tab", "aria-selected": String(name === coll), onclick: () => app.go("browse", { c: name }) }, kk.title),
    ),
  );

  async function load() {
    put(list, loading("Fetching and decrypting…"));
    try {
      if (!vault.hasCollection(coll)) {
        put(list, empty(`No ${k.title} messages in this vault.`, "Your client has not uploaded this collection yet."));
        return;
      }
      const q = { limit: PAGE, cursor: cur.cursor };
      const f = dayStart(from.value);
      const t = dayEnd(to.value);
      let clientRange = false;
      if (chat.value.trim()) {
        if (k.chatFilter.field) {
          q.field = k.chatFilter.field;
          q.value = chat.value.trim();
        } else {
          // The chat id is encrypted: ask by its blind index, filter the rest here.
          const s = vault.current();
          const values = await s.indexValues(await vault.schema(coll), k.chatFilter.index, chat.value.trim());
          q.index = k.chatFilter.index;
          q.value = values.at(-1);
          clientRange = true;
        }
      }
      if (!clientRange) {
        // A time range also orders by time; without one the server orders by id.
        q.from = f ?? 0;
        if (t !== undefined) q.to = t;
      }
      const res = await vault.page(coll, q);
      cur.next = res.next;
      let items = res.items;
      if (clientRange) {
        items = items.filter((r) => r.error || ((f === undefined || r.fields[k.time] >= f) && (t === undefined || r.fields[k.time] <= t)));
        if (k.chatFilter.decrypted) items = items.filter((r) => r.error || r.fields[k.chatFilter.decrypted] === chat.value.trim());
      }
      if (items.length === 0) {
        put(list, empty(cur.page > 1 ? "No more messages." : "No messages match.", filtersText() || "This collection is empty.", filtersText() ? button("Clear filters", clear) : null));
      } else {
        put(list, items.map((r) => message(r)));
      }
      list.append(...[pager({ page: cur.page, hasPrev: cur.page > 1, hasNext: !!cur.next, count: items.length, onPrev: () => (cur.back(), load()), onNext: () => (cur.forward(), load()) })].filter(Boolean));
    } catch (e) {
      if (e?.name === "Locked") throw e;
      put(list, errorBox(e, button("Try again", load)));
    }
  }

  function filtersText() {
    const parts = [];
    if (from.value) parts.push(`from ${from.value}`);
    if (to.value) parts.push(`to ${to.value}`);
    if (chat.value.trim()) parts.push(`chat ${chatLabel || chat.value.trim()}`);
    return parts.length ? `Filters: ${parts.join(", ")}.` : "";
  }

  function clear() {
    from.value = to.value = chat.value = "";
    chatLabel = "";
    cur.reset();
    load();
  }

  function message(r) {
    if (r.error) return h("article", { class: "msg card" }, unreadable(r));
    const fromMe = r.fields.isFromMe === true;
    const chatId = k.chatFilter.field ? r.fields[k.chatFilter.field] : r.fields[k.chatFilter.decrypted];
    const who = fromMe ? "Me" : val(r, k.who, "") || (k.phone ? val(r, k.phone, "Unknown") : "Unknown");
    return h(
      "article",
      { class: fromMe ? "msg card mine" : "msg card", dataset: { id: r.id } },
      h(
        "header",
        { class: "msg-head" },
        h("strong", {}, who),
        k.phone && !fromMe && r.fields[k.phone] ? h("span", { class: "muted" }, val(r, k.phone)) : null,
        h("span", { class: "spacer" }),
        time(r.fields[k.time]),
      ),
      partlyUnreadable(r),
      r.fields.subject ? h("p", { class: "subject" }, val(r, "subject")) : null,
      r.errors?.text ? null : h("p", { class: "msg-text" }, val(r, "text", "") || h("span", { class: "muted" }, "(no text)")),
      h(
        "footer",
        { class: "msg-foot" },
        r.fields[k.chat] ? h("span", { class: "chip" }, val(r, k.chat)) : null,
        r.fields.service ? h("span", { class: "chip" }, r.fields.service) : null,
        r.fields.hasAttachments ? h("span", { class: "chip" }, "attachment") : null,
        chatId
          ? button(
              "This chat only",
              () => {
                chat.value = chatId;
                chatLabel = typeof r.fields[k.chat] === "string" ? r.fields[k.chat] : chatId;
                cur.reset();
                load();
              },
              { kind: "link small" },
            )
          : null,
      ),
    );
  }

  const filters = h(
    "form",
    {
      class: "filters card",
      onsubmit: (ev) => {
        ev.preventDefault();
        chatLabel = "";
        cur.reset();
        load();
      },
    },
    field("From", from),
    field("To", to),
    field("Chat", chat, k.chatFilter.field ? "A chat id; or use “This chat only” on a message." : "Searched through the blind index; or use “This chat only”."),
    h("div", { class: "filter-actions" }, button("Apply", null, { type: "submit", kind: "primary" }), button("Clear", clear, { kind: "ghost" })),
  );

  load();
  return h("section", { class: "page" }, h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Messages"), tabs), filters, list);
}
