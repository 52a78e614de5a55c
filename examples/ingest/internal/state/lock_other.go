//go:build !unix && !windows

package state

import "os"

// lock opens the file at path. These platforms (plan9, js/wasm, wasip1)
// have no advisory lock the client can rely on: two imports of one vault
// at once are not prevented there.
func lock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
