// prepack: refuses to pack the package without the built module, so that no tarball
// goes out that installs but cannot start. `make wasm` copies both files here.
import { existsSync } from "node:fs";

const missing = ["zkvault.wasm", "wasm_exec.js"].filter((f) => !existsSync(new URL(`../${f}`, import.meta.url)));
if (missing.length > 0) {
  console.error(`npm pack: ${missing.join(" and ")} missing in jsbridge/js; run \`make wasm\` first (see README.md)`);
  process.exit(1);
}
