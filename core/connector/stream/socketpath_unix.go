//go:build !windows

package stream

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// privateDir is the per-user directory under the temp dir.
func privateDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("bphost-%d", os.Getuid()))
}

func ownedPrivately(fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("has no owner to check")
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("is owned by uid %d, not %d", st.Uid, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("has mode %v, open to others", perm)
	}
	return nil
}
