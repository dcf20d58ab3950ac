//go:build !linux

package proc

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// runFile makes cmd run the open file exe rather than the file cmd.Path
// names: exe is copied into a new directory only this user can enter
// (0700) and the copy runs, so a plugin swapped after the host checked it
// is not what runs. cleanup removes the copy once the process has ended; a
// host killed before that leaves it in the temporary directory.
func runFile(cmd *exec.Cmd, exe *os.File) (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "bphost-plugin-")
	if err != nil {
		return nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	dst := filepath.Join(dir, filepath.Base(cmd.Path))
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err == nil {
		_, err = io.Copy(f, exe)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	cmd.Path = dst
	return cleanup, nil
}
