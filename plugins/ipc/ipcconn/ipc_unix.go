//go:build !windows

package ipcconn

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/bphost/bphost/core/connector/stream"
)

// DefaultPath is the socket `bphost serve --listen unix://...` uses by
// default: bphost.sock in the user's runtime directory, or the temp dir.
func DefaultPath() string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "bphost.sock")
}

func checkPath(p string) error {
	if len(p) > 104 { // sun_path is 104 bytes on macOS, 108 on Linux
		return errors.New("longer than a Unix socket path may be")
	}
	return nil
}

func dialer(path string) stream.DialFunc {
	return stream.DialNet("unix", path, "unix://"+path)
}
