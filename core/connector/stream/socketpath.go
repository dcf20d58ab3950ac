package stream

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrUnsafeSocketDir: the directory of the default Unix socket is not the
// user's own private directory, so another local user could have put a
// server of theirs there (or could take the socket over).
var ErrUnsafeSocketDir = errors.New("socket directory is not private to you")

// socketName is the file name of the default socket.
const socketName = "bphost.sock"

// DefaultSocketPath is where `bphost serve --listen unix://` and the ipc
// connector meet when no path is given: bphost.sock in $XDG_RUNTIME_DIR
// (the user's own runtime directory), else in a directory of the user's
// own under the temp dir (bphost-UID, mode 0700), never in the shared
// temp dir itself, where any local user could take the name first.
func DefaultSocketPath() string {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, socketName)
	}
	return filepath.Join(privateDir(), socketName)
}

// PrepareSocketPath checks, before a socket at path is listened on or
// dialed, that a path in the per-user directory of DefaultSocketPath is
// safe: the directory is a real directory, owned by the user, closed to
// others. With create it is made (0700) when missing; without, a missing
// one is no error (nothing listens there). Other paths are the caller's
// choice and are not checked. The error wraps ErrUnsafeSocketDir.
func PrepareSocketPath(path string, create bool) error {
	dir := filepath.Dir(path)
	if dir != privateDir() {
		return nil
	}
	if create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("make the socket directory %s: %w", dir, err)
		}
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		if !create && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("socket directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory (%v)", ErrUnsafeSocketDir, dir, fi.Mode().Type())
	}
	if err := ownedPrivately(fi); err != nil {
		return fmt.Errorf("%w: %s %v; remove it or set XDG_RUNTIME_DIR", ErrUnsafeSocketDir, dir, err)
	}
	return nil
}
