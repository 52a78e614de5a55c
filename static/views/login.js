// Log in with the dashboard secret.
import { login } from "../api.js";
import { button, describe, field, h } from "../dom.js";

export default function loginView(app) {
  const secret = h("input", { type: "password", name: "secret", autocomplete: "current-password", required: true, spellcheck: "false", autocapitalize: "off" });
  const msg = h("div", { class: "form-msg", "aria-live": "polite" });
  const submit = button("Log in", null, { type: "submit", kind: "primary wide" });
  const form = h(
    "form",
    {
      class: "card stack",
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (!secret.value) return;
        submit.disabled = true;
        submit.textContent = "Logging in…";
        msg.replaceChildren();
        try {
          await login(secret.value);
          secret.value = "";
          await app.loggedIn();
        } catch (e) {
          const d = describe(e);
          const text = e?.status === 401 ? "Wrong dashboard secret." : e?.status === 429 ? "Too many failed attempts from this address. Wait a few minutes and try again." : d.title;
          msg.replaceChildren(h("p", { class: "error", role: "alert" }, text));
          secret.select();
        } finally {
          submit.disabled = false;
          submit.textContent = "Log in";
        }
      },
    },
    field("Dashboard secret", secret, "The secret set on the server for this dashboard. It is not your vault passphrase."),
    msg,
    submit,
  );
  queueMicrotask(() => secret.focus());
  return h(
    "section",
    { class: "page narrow" },
    h("h1", { tabindex: "-1" }, "Log in"),
    h("p", { class: "lede" }, "Your records are encrypted in your client. Logging in lets this browser fetch them; only your passphrase, which never leaves this browser, can open them."),
    form,
  );
}
