package proc

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// runFile makes cmd run the open file exe rather than the file cmd.Path
// names, so that a plugin swapped after the host checked it is not what
// runs: from the descriptor on Linux, from a private copy elsewhere.
// cleanup removes what it made, once the process has ended.
var runFile = map[bool]func(cmd *exec.Cmd, exe *os.File) (cleanup func(), err error){
	true: runFromFD, false: runFromCopy,
}[runtime.GOOS == "linux"]

// runFromFD gives the child exe as its fd 3 and has it execute
// /proc/self/fd/3: the very inode the host checked, even if the path was
// swapped since (a rename over it, a new symlink). os.Args[0] stays the
// plugin's path. The plugin inherits fd 3, open for reading on its own
// executable. It needs /proc, which every Linux the host runs on has.
func runFromFD(cmd *exec.Cmd, exe *os.File) (cleanup func(), err error) {
	cmd.ExtraFiles = append(cmd.ExtraFiles, exe)
	cmd.Path = "/proc/self/fd/3"
	return func() {}, nil
}

// runFromCopy copies exe into a new directory only this user may enter
// (0700) and runs the copy. A host killed before the process ends leaves
// the copy in the temporary directory.
func runFromCopy(cmd *exec.Cmd, exe *os.File) (cleanup func(), err error) {
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
