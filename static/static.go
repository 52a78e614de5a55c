// Package static is the dashboard, embedded into the zkvault binary and
// served at /: plain ES modules, no build step. pkg/ holds the WebAssembly
// package (zkvault.wasm, wasm_exec.js and the package's src/*.js), copied
// there by the build and git-ignored except for its README, which keeps the
// pattern valid in a fresh checkout. test/ is the browser test, not served.
package static

import (
	"embed"
	"io/fs"
)

//go:embed index.html *.js *.css views pkg
var files embed.FS

// FS is the dashboard's files, rooted at the dashboard's top directory.
var FS fs.FS = files
