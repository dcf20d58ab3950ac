package proc

import (
	"os"
	"os/exec"
)

// runFile makes cmd run the open file exe rather than the file cmd.Path
// names: the child gets exe as its fd 3 and executes /proc/self/fd/3, the
// very inode the host checked, even if the path was swapped since (rename
// over it, a new symlink). os.Args[0] stays the plugin's path. The plugin
// inherits fd 3, open for reading on its own executable. It needs /proc,
// which every Linux system the host runs on has.
func runFile(cmd *exec.Cmd, exe *os.File) (cleanup func(), err error) {
	cmd.ExtraFiles = append(cmd.ExtraFiles, exe)
	cmd.Path = "/proc/self/fd/3"
	return func() {}, nil
}
