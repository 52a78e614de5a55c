//go:build unix

package state

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock (flock) on the file at path,
// creating it. The kernel drops the lock when the process ends, however it
// ends, so a crashed import never leaves a vault locked.
func lock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return f, nil
}
