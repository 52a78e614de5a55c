// Screenshots: a gallery of images decrypted in this browser.
import { button, bytes, empty, errorBox, h, loading, put, time } from "../dom.js";
import * as vault from "../vault.js";
import { Cursors, pager, unreadable } from "./common.js";

const PAGE = 12;

export default function screenshotsView(app) {
  const cur = new Cursors();
  const grid = h("div", { class: "gallery", "aria-live": "polite" });
  const foot = h("div");
  const urls = new Set();
  let ctrl = null;
  const dialog = h("dialog", { class: "lightbox", "aria-label": "Screenshot" });
  app.onLeave(() => {
    ctrl?.abort();
    for (const u of urls) URL.revokeObjectURL(u);
    dialog.close?.();
  });

  async function thumb(r, signal) {
    const fig = h("figure", { class: "shot card", dataset: { id: r.id } });
    if (r.error) return put(fig, unreadable(r));
    const f = r.fields;
    const cap = h("figcaption", {}, time(f.takenAt), h("span", { class: "muted" }, ` · ${f.width ?? "?"}×${f.height ?? "?"} · ${bytes(f.fileSize)}`));
    const box = h("div", { class: "shot-img" }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { class: "sr-only" }, "Decrypting…"));
    put(fig, box, cap);
    if (!f.image) {
      put(box, h("span", { class: "muted" }, "no image"));
      return fig;
    }
    vault
      .fetchBlob(f.image, { signal })
      .then(async (blob) => {
        const type = await vault.sniffImage(blob);
        const url = URL.createObjectURL(type ? new Blob([blob], { type }) : blob);
        urls.add(url);
        const img = h("img", { src: url, alt: `Screenshot taken ${new Date(f.takenAt).toLocaleString()}`, width: f.width, height: f.height, loading: "lazy", decoding: "async" });
        const open = h("button", { type: "button", class: "shot-open", "aria-label": "Open the screenshot", onclick: () => show(url, img.alt, f, type) }, img);
        put(box, open);
      })
      .catch((e) => {
        if (e?.name === "AbortError") return;
        put(box, h("div", { class: "unreadable" }, h("strong", {}, "This image cannot be decrypted."), h("span", { class: "muted" }, ` ${e?.code ?? e?.message ?? ""}`)));
      });
    return fig;
  }

  function show(url, alt, f, type) {
    const ext = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp" }[type] ?? "bin";
    put(
      dialog,
      h(
        "div",
        { class: "lightbox-inner" },
        h("img", { src: url, alt }),
        h(
          "div",
          { class: "lightbox-bar" },
          h("span", {}, time(f.takenAt), ` · ${f.width}×${f.height}`),
          h("a", { class: "btn small", href: url, download: `screenshot-${f.takenAt ? new Date(f.takenAt).toISOString().replace(/[:.]/g, "-") : "image"}.${ext}` }, "Download"),
          button("Close", () => dialog.close(), { kind: "small" }),
        ),
      ),
    );
    dialog.showModal();
  }
  dialog.addEventListener("click", (ev) => {
    if (ev.target === dialog) dialog.close();
  });

  async function load() {
    ctrl?.abort();
    ctrl = new AbortController();
    put(grid, loading("Fetching screenshots…"));
    foot.replaceChildren();
    try {
      if (!vault.hasCollection("screenshots")) {
        put(grid, empty("No screenshots in this vault.", "Your client has not uploaded screenshots yet."));
        return;
      }
      const res = await vault.page("screenshots", { limit: PAGE, cursor: cur.cursor, from: 0 });
      cur.next = res.next;
      if (res.items.length === 0) put(grid, empty("No screenshots.", "The collection is empty."));
      else put(grid, await Promise.all(res.items.map((r) => thumb(r, ctrl.signal))));
      put(foot, pager({ page: cur.page, hasPrev: cur.page > 1, hasNext: !!cur.next, count: res.items.length, onPrev: () => (cur.back(), load()), onNext: () => (cur.forward(), load()) }));
    } catch (e) {
      if (e?.name === "Locked") throw e;
      put(grid, errorBox(e, button("Try again", load)));
    }
  }
  load();
  return h("section", { class: "page" }, h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Screenshots")), grid, foot, dialog);
}
