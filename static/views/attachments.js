// Attachments: a list with decrypted file names, downloaded and decrypted on demand.
import { button, bytes, empty, errorBox, h, loading, put, time, toast } from "../dom.js";
import * as vault from "../vault.js";
import { Cursors, badField, pager, unreadable } from "./common.js";

const PAGE = 25;

/** A file name safe to offer for download. */
function safeName(n, fallback) {
  const s = typeof n === "string" ? n.replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").trim() : "";
  return s || fallback;
}

export default function attachmentsView(app) {
  const cur = new Cursors();
  const list = h("div", { class: "files", "aria-live": "polite" });
  const foot = h("div");
  const urls = new Set();
  app.onLeave(() => setTimeout(() => urls.forEach((u) => URL.revokeObjectURL(u)), 60_000));

  function row(r) {
    if (r.error) return h("li", { class: "file card" }, unreadable(r));
    const f = r.fields;
    const e = r.errors ?? {};
    const name = e.filename ? null : safeName(f.filename, `attachment-${r.id}`);
    const status = h("span", { class: "file-status muted", "aria-live": "polite" });
    const bar = h("progress", { max: 1, value: 0, hidden: true });
    const dl = button(
      "Download",
      async () => {
        dl.disabled = true;
        bar.hidden = false;
        status.textContent = "Decrypting…";
        try {
          const blob = await vault.fetchBlob(f.file, {
            type: typeof f.mimeType === "string" ? f.mimeType : "application/octet-stream",
            onProgress: (d, t) => {
              if (t) bar.value = d / t;
            },
          });
          const url = URL.createObjectURL(blob);
          urls.add(url);
          const a = h("a", { href: url, download: name ?? `attachment-${r.id}`, class: "sr-only" }, "save");
          document.body.append(a);
          a.click();
          a.remove();
          status.textContent = `Decrypted · ${bytes(blob.size)}`;
        } catch (err) {
          if (err?.name === "Locked") throw err;
          status.textContent = "";
          toast(err?.code === "corrupt" ? "The file is damaged or was tampered with: nothing was saved." : `Download failed: ${err.message}`, "error");
        } finally {
          bar.hidden = true;
          dl.disabled = false;
        }
      },
      { kind: "small", disabled: !f.file, "aria-label": `Download ${name ?? "attachment"}` },
    );
    return h(
      "li",
      { class: "file card", dataset: { id: r.id } },
      h("span", { class: "file-icon", "aria-hidden": "true" }, iconFor(f.mimeType)),
      h("div", { class: "file-main" }, h("strong", { class: "file-name" }, e.filename ? badField(e.filename) : name), h("span", { class: "muted" }, e.mimeType ? badField(e.mimeType) : f.mimeType || "unknown type", ` · ${bytes(f.fileSize)} · `, time(f.createdAt)), bar, status),
      dl,
    );
  }

  async function load() {
    put(list, loading("Fetching and decrypting the list…"));
    foot.replaceChildren();
    try {
      if (!vault.hasCollection("imessage_attachments")) {
        put(list, empty("No attachments in this vault.", "Your client has not uploaded attachments yet."));
        return;
      }
      const res = await vault.page("imessage_attachments", { limit: PAGE, cursor: cur.cursor, from: 0 });
      cur.next = res.next;
      if (res.items.length === 0) put(list, empty("No attachments.", "The collection is empty."));
      else put(list, h("ul", { class: "plain file-list" }, res.items.map(row)));
      put(foot, pager({ page: cur.page, hasPrev: cur.page > 1, hasNext: !!cur.next, count: res.items.length, onPrev: () => (cur.back(), load()), onNext: () => (cur.forward(), load()) }));
    } catch (e) {
      if (e?.name === "Locked") throw e;
      put(list, errorBox(e, button("Try again", load)));
    }
  }
  load();
  return h("section", { class: "page" }, h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Attachments"), h("p", { class: "muted" }, "Files are decrypted in this browser when you download them.")), list, foot);
}

function iconFor(t) {
  if (typeof t !== "string") return "FILE";
  if (t.startsWith("image/")) return "IMG";
  if (t.startsWith("video/")) return "VID";
  if (t.startsWith("audio/")) return "AUD";
  if (t === "application/pdf") return "PDF";
  if (t.startsWith("text/")) return "TXT";
  return "FILE";
}
