// Unlock the vault with its passphrase (or a key handed over by the client).
import { button, describe, empty, errorBox, field, h, loading, put, time } from "../dom.js";
import * as vault from "../vault.js";

export default async function unlockView(app, main) {
  put(main, h("section", { class: "page narrow" }, h("h1", { tabindex: "-1" }, "Unlock your vault"), loading("Loading the crypto module and your vaults…")));
  let vaults;
  try {
    [vaults] = await Promise.all([vault.listVaults(), vault.loadModule()]);
  } catch (e) {
    return h("section", { class: "page narrow" }, h("h1", { tabindex: "-1" }, "Unlock your vault"), errorBox(e, button("Try again", () => app.go("unlock", {}, { replace: true })), button("Read tokens", () => app.go("tokens")), button("Logs", () => app.go("logs"))));
  }
  const page = h("section", { class: "page narrow" }, h("h1", { tabindex: "-1" }, "Unlock your vault"));
  if (app.params().get("handover") === "failed") {
    page.append(h("p", { class: "error-box", role: "alert" }, "The key in the link from your client did not open the vault. Unlock with your passphrase, or open the dashboard again from the client."));
  }
  if (vaults.length === 0) {
    page.append(
      empty(
        "No vault on this server yet.",
        "Your ingest client creates the vault the first time it uploads. Once it has, come back here and unlock it with its passphrase.",
        button("Check again", () => app.go("unlock", {}, { replace: true })),
        button("Read tokens", () => app.go("tokens")),
        button("Logs", () => app.go("logs")),
      ),
    );
    return page;
  }
  let chosen = vaults[0];
  const pass = h("input", { type: "password", name: "passphrase", autocomplete: "current-password", required: true, spellcheck: "false", autocapitalize: "off" });
  const msg = h("div", { class: "form-msg", "aria-live": "polite" });
  const progress = h("div", { class: "progress", hidden: true, role: "status" });
  const submit = button("Unlock", null, { type: "submit", kind: "primary wide" });
  const kdf = h("p", { class: "hint" });
  const describeKDF = async () => {
    const env = chosen.envelopes?.find((e) => e.kind === "passphrase" && e.secret_version === chosen.secret_version) ?? chosen.envelopes?.find((e) => e.kind === "passphrase");
    if (!env) {
      kdf.textContent = "This vault has no passphrase envelope: open it from your client instead.";
      return;
    }
    try {
      const { zk } = await vault.loadModule();
      const info = await zk.inspectEnvelope(env);
      kdf.textContent = kdfText(info);
    } catch {
      kdf.textContent = "";
    }
  };
  let picker = null;
  if (vaults.length > 1) {
    picker = h("select", { name: "vault", onchange: () => ((chosen = vaults[picker.selectedIndex]), describeKDF()) }, vaults.map((v) => h("option", { value: v.id }, v.meta?.name ? `${v.meta.name} (${v.id})` : v.id)));
  }
  describeKDF();
  const form = h(
    "form",
    {
      class: "card stack",
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (!pass.value) return;
        submit.disabled = true;
        pass.disabled = true;
        msg.replaceChildren();
        const t0 = performance.now();
        const label = h("span", {}, "Deriving the key from your passphrase…");
        const secs = h("span", { class: "muted" });
        put(progress, h("div", { class: "bar indeterminate" }, h("span")), h("p", {}, label, " ", secs));
        progress.hidden = false;
        const timer = setInterval(() => (secs.textContent = `${((performance.now() - t0) / 1000).toFixed(1)} s`), 100);
        try {
          // Let the progress paint first: the key derivation keeps the page's
          // thread busy while it runs (the bar's animation runs on the compositor).
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30)));
          await vault.unlockWithPassphrase(chosen, pass.value);
          pass.value = "";
          await app.unlocked();
        } catch (e) {
          const wrong = e?.code === "incorrect_key";
          msg.replaceChildren(h("p", { class: "error", role: "alert" }, wrong ? "Wrong passphrase. Nothing was unlocked; try again." : describe(e).title));
          pass.disabled = false;
          pass.select();
          pass.focus();
        } finally {
          clearInterval(timer);
          progress.hidden = true;
          submit.disabled = false;
          pass.disabled = false;
        }
      },
    },
    picker ? field("Vault", picker) : h("p", { class: "muted" }, "Vault ", h("code", {}, chosen.id), chosen.created_at ? [" · created ", time(chosen.created_at, { day: true })] : null),
    field("Passphrase", pass, "Your passphrase stays in this browser: it is never sent to the server."),
    kdf,
    msg,
    progress,
    submit,
  );
  page.append(
    h("p", { class: "lede" }, "Decryption happens only in this browser. Once unlocked, the vault stays open in this browser for one hour at most, kept under a key that no script can read; “Lock” ends it at once."),
    form,
    handoverForm(app, vaults),
  );
  queueMicrotask(() => pass.focus());
  return page;
}

function kdfText(info) {
  const p = info?.params ?? info;
  const name = (p?.kdf ?? info?.kdf ?? "").toString();
  if (/argon/i.test(name) || info?.kind === 2) {
    const mem = p?.memoryKiB ?? p?.memory_kib ?? p?.m;
    return `Key derivation: Argon2id${mem ? `, ${Math.round(mem / 1024)} MiB` : ""}. This takes about a second.`;
  }
  if (/pbkdf2/i.test(name) || info?.kind === 3) return `Key derivation: PBKDF2-SHA-256${p?.iterations ? `, ${p.iterations.toLocaleString()} iterations` : ""}.`;
  return "";
}

function handoverForm(app, vaults) {
  const link = h("input", { type: "password", name: "handover", autocomplete: "off", spellcheck: "false", autocapitalize: "off" });
  const msg = h("div", { class: "form-msg", "aria-live": "polite" });
  return h(
    "details",
    { class: "card" },
    h("summary", {}, "Unlock with a link from your client"),
    h(
      "form",
      {
        class: "stack",
        onsubmit: async (ev) => {
          ev.preventDefault();
          msg.replaceChildren();
          const text = link.value.trim();
          link.value = "";
          const frag = text.includes("#") ? text.slice(text.indexOf("#") + 1) : text;
          const p = new URLSearchParams(frag);
          const space = p.get("space") || (vaults.length === 1 ? vaults[0].id : "");
          const key = p.get("key");
          if (!key || !space) {
            msg.replaceChildren(h("p", { class: "error", role: "alert" }, "That is not a dashboard link from your client (it needs #space=…&key=…)."));
            return;
          }
          try {
            await vault.unlockWithHandover(space, key);
            await app.unlocked();
          } catch (e) {
            msg.replaceChildren(h("p", { class: "error", role: "alert" }, e?.code === "incorrect_key" ? "That key does not open this vault." : describe(e).title));
          }
        },
      },
      field("Link", link, "Paste the whole link your client opened; the key in it stays in this browser."),
      msg,
      button("Unlock", null, { type: "submit" }),
    ),
  );
}
