// Overview: what is in the vault, and where to go.
import { h, time } from "../dom.js";
import * as vault from "../vault.js";

const ABOUT = {
  imessages: ["browse", { c: "imessages" }, "Messages with their dates, chats and flags; text and contacts are encrypted."],
  whatsapp_messages: ["browse", { c: "whatsapp_messages" }, "Chats, senders and text, all encrypted; searchable by name and phone."],
  contacts: ["contacts", {}, "Names, organisations, e-mails and phone numbers, as cards."],
  screenshots: ["screenshots", {}, "A gallery of images decrypted in this browser."],
  imessage_attachments: ["attachments", {}, "Files with their decrypted names, downloaded on demand."],
  locations: ["locations", {}, "Points on a plot, filtered by date."],
};

export default function homeView(app) {
  const info = vault.currentInfo();
  const cards = vault.COLLECTIONS.map((c) => {
    const [view, params, text] = ABOUT[c.name];
    const present = vault.hasCollection(c.name);
    return h(
      "a",
      {
        class: present ? "tile card" : "tile card absent",
        href: `/?${new URLSearchParams({ view, ...params })}`,
        onclick: (ev) => {
          ev.preventDefault();
          app.go(view, params);
        },
      },
      h("strong", {}, c.title),
      h("span", { class: "muted" }, present ? text : "Not uploaded yet."),
    );
  });
  return h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Your vault"), h("p", { class: "muted" }, "Vault ", h("code", {}, info?.id ?? "?"), info?.updated_at ? [" · updated ", time(info.updated_at)] : null)),
    h("div", { class: "tiles" }, cards),
    h(
      "div",
      { class: "tiles two" },
      h(
        "a",
        { class: "tile card", href: "/?view=search", onclick: (ev) => (ev.preventDefault(), app.go("search")) },
        h("strong", {}, "Search"),
        h("span", { class: "muted" }, "Find messages and contacts by exact phone number, name or e-mail."),
      ),
      h(
        "a",
        { class: "tile card", href: "/?view=tokens", onclick: (ev) => (ev.preventDefault(), app.go("tokens")) },
        h("strong", {}, "Read tokens and logs"),
        h("span", { class: "muted" }, "Let other apps read your (still encrypted) data; see who wrote and read what."),
      ),
    ),
  );
}
