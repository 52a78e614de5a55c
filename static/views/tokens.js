// Read tokens: create, list, revoke. A token lets another app read the
// encrypted records; it never opens them (that needs the vault key).
import { api } from "../api.js";
import { button, describe, empty, errorBox, field, h, loading, put, time, toast } from "../dom.js";

export default function tokensView(app, main) {
  const listBox = h("div", { "aria-live": "polite" });
  const created = h("div", { "aria-live": "polite" });
  const principal = h("select", { name: "principal", required: true });
  const expiry = h("select", { name: "expiry" }, [
    ["7", "7 days"],
    ["30", "30 days"],
    ["90", "90 days"],
    ["365", "1 year"],
    ["0", "Never"],
  ].map(([v, l]) => h("option", { value: v }, l)));
  expiry.value = "30";
  const write = h("input", { type: "checkbox", name: "write" });
  const name = h("input", { type: "text", name: "name", placeholder: "e.g. reporting app", autocomplete: "off", maxlength: 64 });
  const msg = h("div", { class: "form-msg" });
  const submit = button("Create read token", null, { type: "submit", kind: "primary" });

  async function loadPrincipals() {
    try {
      const ps = [];
      let cursor;
      do {
        const r = await api.principals(cursor);
        ps.push(...r.items);
        cursor = r.next_cursor;
      } while (cursor);
      const users = ps.filter((p) => p.kind !== "master");
      if (users.length === 0) {
        put(principal, h("option", { value: "" }, "no principal on this server"));
        principal.disabled = submit.disabled = true;
        msg.replaceChildren(h("p", { class: "hint" }, "A token belongs to a principal (a key holder). Your client registers one when it first uploads."));
      } else put(principal, users.map((p) => h("option", { value: p.id }, `${p.id} (${p.kind})`)));
    } catch (e) {
      msg.replaceChildren(h("p", { class: "error", role: "alert" }, describe(e).title));
    }
  }

  async function loadList() {
    put(listBox, loading("Loading tokens…"));
    try {
      const { items } = await api.tokens();
      if (items.length === 0) {
        put(listBox, empty("No tokens yet.", "Create one above for an app that should read your encrypted data."));
        return;
      }
      items.sort((a, b) => b.created_at - a.created_at);
      put(
        listBox,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "tokens" },
            h("thead", {}, h("tr", {}, ["Token", "Principal", "Scopes", "Created", "Last used", "Expires", "Status", ""].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              items.map((t) => {
                const expired = t.expires_at && t.expires_at <= Date.now();
                const st = t.revoked_at ? ["revoked", "Revoked"] : expired ? ["expired", "Expired"] : ["active", "Active"];
                return h(
                  "tr",
                  { dataset: { prefix: t.prefix } },
                  h("td", { "data-label": "Token" }, h("span", {}, t.name ? [h("strong", {}, t.name), " "] : null, h("code", {}, `${t.prefix}…`))),
                  h("td", { "data-label": "Principal" }, h("span", {}, t.principal)),
                  h("td", { "data-label": "Scopes" }, h("span", {}, t.scopes.join(", "))),
                  h("td", { "data-label": "Created" }, h("span", {}, time(t.created_at))),
                  h("td", { "data-label": "Last used" }, h("span", {}, t.last_used_at ? time(t.last_used_at) : "never")),
                  h("td", { "data-label": "Expires" }, h("span", {}, t.expires_at ? time(t.expires_at) : "never")),
                  h("td", { "data-label": "Status" }, h("span", {}, h("span", { class: `badge ${st[0]}` }, st[1]), t.revoked_at ? [" ", time(t.revoked_at)] : null)),
                  h("td", {}, t.revoked_at ? null : button("Revoke", () => revoke(t), { kind: "danger small", "aria-label": `Revoke ${t.prefix}` })),
                );
              }),
            ),
          ),
        ),
      );
    } catch (e) {
      put(listBox, errorBox(e, button("Try again", loadList)));
    }
  }

  async function revoke(t) {
    if (!confirm(`Revoke ${t.prefix}…? Apps using it lose access at once.`)) return;
    try {
      await api.revokeToken(t.prefix);
      toast(`Token ${t.prefix}… revoked.`);
      created.replaceChildren();
      loadList();
    } catch (e) {
      toast(describe(e).title, "error");
    }
  }

  const form = h(
    "form",
    {
      class: "form-grid card",
      onsubmit: async (ev) => {
        ev.preventDefault();
        submit.disabled = true;
        msg.replaceChildren();
        try {
          const days = Number(expiry.value);
          const body = { principal: principal.value, scopes: write.checked ? ["read", "write"] : ["read"] };
          if (name.value.trim()) body.name = name.value.trim();
          if (days) body.expires_at = Date.now() + days * 86400_000;
          const t = await api.createToken(body);
          showCreated(t);
          loadList();
        } catch (e) {
          msg.replaceChildren(h("p", { class: "error", role: "alert" }, describe(e).title, e.message && e.message !== describe(e).title ? ` ${e.message}` : ""));
        } finally {
          submit.disabled = false;
        }
      },
    },
    field("Name", name),
    field("For principal", principal),
    field("Expires after", expiry),
    h("div", { class: "form-row" }, h("div", { class: "field check" }, h("label", {}, write, " Also allow writing (for an ingest client)")), submit),
    msg,
  );

  function showCreated(t) {
    const code = h("input", { type: "text", readonly: true, value: t.token, class: "mono", "aria-label": "New token", id: "new-token" });
    put(
      created,
      h(
        "div",
        { class: "notice card", role: "status" },
        h("strong", {}, "Copy this token now: it is shown only once."),
        h("div", { class: "copy-row" }, code, button("Copy", async () => {
          try {
            await navigator.clipboard.writeText(t.token);
            toast("Copied.");
          } catch {
            code.select();
            toast("Select and copy it by hand.", "error");
          }
        }, { kind: "small" })),
        h("p", { class: "hint" }, "Apps send it as “Authorization: Bearer …”. It reads ciphertext only; it cannot decrypt."),
        button("Done", () => created.replaceChildren(), { kind: "ghost small" }),
      ),
    );
    code.focus();
    code.select();
  }

  loadPrincipals();
  loadList();
  return h(
    "section",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Read tokens")),
    h("p", { class: "lede" }, "A read token lets another app fetch your records and files, still encrypted. The vault key is never part of a token."),
    form,
    created,
    h("h2", {}, "Tokens"),
    listBox,
  );
}
