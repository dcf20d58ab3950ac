//go:build !windows

package host

import (
	"fmt"
	"os"
	"path/filepath"
)

// checkWritable refuses a plugin that is, or whose directory is, writable
// by every user: anyone could replace it. fi is the plugin's Stat.
func checkWritable(path string, fi os.FileInfo) error {
	if err := checkWorldWritable("file", path, fi.Mode()); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("plugin directory %s: %w", dir, err)
	}
	return checkWorldWritable("directory", dir, di.Mode())
}

// checkWorldWritable refuses a world-writable file or directory; what says
// which ("file", "directory") and mode is what Stat returned.
func checkWorldWritable(what, path string, mode os.FileMode) error {
	if mode.Perm()&0o002 != 0 {
		return fmt.Errorf("refusing plugin: %w: %s %s is writable by every user (mode %s); fix it with: chmod o-w %s",
			ErrInsecure, what, path, mode.Perm(), path)
	}
	return nil
}
