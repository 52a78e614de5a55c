// Pieces shared by the record views.
import { button, h } from "../dom.js";

/** The in-place notice of a record that cannot be decrypted. */
export function unreadable(rec) {
  return h(
    "div",
    { class: "unreadable", role: "note" },
    h("strong", {}, "This record cannot be decrypted."),
    " ",
    h("span", { class: "muted" }, codeText(rec.error?.code), " · id ", h("code", {}, rec.id)),
  );
}

/** A field that could not be decrypted, in place of its value. */
export function badField(err) {
  return h("span", { class: "bad-field", title: `${codeText(err?.code)}: ${err?.message ?? ""}` }, "cannot decrypt");
}

/** The in-place notice of a record some of whose fields cannot be decrypted (null if none). */
export function partlyUnreadable(rec) {
  const bad = Object.keys(rec.errors ?? {});
  if (bad.length === 0) return null;
  const codes = [...new Set(bad.map((f) => codeText(rec.errors[f]?.code)))].join(", ");
  return h("div", { class: "unreadable record-warn", role: "note" }, h("strong", {}, `${bad.length === 1 ? "A field" : `${bad.length} fields`} of this record cannot be decrypted`), h("span", { class: "muted" }, ` (${codes}): ${bad.join(", ")}.`));
}

export function codeText(code) {
  return (
    {
      incorrect_key: "wrong key or moved ciphertext",
      corrupt: "damaged or tampered",
      parse: "not a zkvault ciphertext",
      unknown_key_version: "key version not unlocked",
    }[code] ?? code ?? "error"
  );
}

/** Text of a decrypted field value (strings, numbers, arrays). */
export function text(v) {
  if (v === undefined || v === null || v === "") return "";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

/** A value or the in-place error of field f of an opened record. */
export function val(rec, f, fallback = "") {
  if (rec.errors?.[f]) return badField(rec.errors[f]);
  const t = text(rec.fields?.[f]);
  return t === "" ? fallback : t;
}

/** Previous/next pagination over cursors. */
export function pager({ page, hasPrev, hasNext, onPrev, onNext, count }) {
  if (page === 1 && !hasNext) return null; // everything fits on one page
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    button("← Previous", onPrev, { disabled: !hasPrev }),
    h("span", { class: "muted" }, `Page ${page}${count !== undefined ? ` · ${count} shown` : ""}`),
    button("Next →", onNext, { disabled: !hasNext }),
  );
}

/** Cursor pagination state. */
export class Cursors {
  constructor() {
    this.stack = [undefined];
    this.next = null;
  }
  get page() {
    return this.stack.length;
  }
  get cursor() {
    return this.stack.at(-1);
  }
  forward() {
    if (this.next) this.stack.push(this.next);
  }
  back() {
    if (this.stack.length > 1) this.stack.pop();
  }
  reset() {
    this.stack = [undefined];
    this.next = null;
  }
}
