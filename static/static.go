// Package static is the dashboard, embedded into the zkvault binary and
// served at /. Until the dashboard exists it is a placeholder page.
package static

import (
	"embed"
	"io/fs"
)

//go:embed index.html
var files embed.FS

// FS is the dashboard's files, rooted at the dashboard's top directory.
var FS fs.FS = files
