//go:build !windows

package proc

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Both ways of running an opened file run what was opened, not what the
// path names once it has been replaced.
func TestRunFileRunsWhatWasOpened(t *testing.T) {
	ways := map[string]func(*exec.Cmd, *os.File) (func(), error){"copy": runFromCopy}
	if runtime.GOOS == "linux" {
		ways["fd"] = runFromFD
	}
	for name, run := range ways {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prog")
			write := func(said string) {
				tmp := path + ".new"
				if err := os.WriteFile(tmp, []byte("#!/bin/sh\necho "+said+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, path); err != nil {
					t.Fatal(err)
				}
			}
			write("checked")
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			write("swapped")
			cmd := exec.Command(path)
			cleanup, err := run(cmd, f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.Output()
			cleanup()
			if err != nil || string(out) != "checked\n" {
				t.Fatalf("ran %q (%v), want the opened file's \"checked\"", out, err)
			}
			if name == "copy" {
				if _, err := os.Stat(filepath.Dir(cmd.Path)); !os.IsNotExist(err) {
					t.Errorf("the copy's directory %s is left: %v", filepath.Dir(cmd.Path), err)
				}
			}
		})
	}
}
