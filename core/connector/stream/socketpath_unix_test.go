//go:build !windows

package stream_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bphost/bphost/core/connector/stream"
)

// privateDirIn points the temp dir at a fresh directory and returns the
// per-user directory DefaultSocketPath uses in it.
func privateDirIn(t *testing.T) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "bphs") // short: socket paths are
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	return filepath.Join(tmp, fmt.Sprintf("bphost-%d", os.Getuid()))
}

func TestDefaultSocketPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1234")
	if got := stream.DefaultSocketPath(); got != "/run/user/1234/bphost.sock" {
		t.Fatalf("with XDG_RUNTIME_DIR: %s", got)
	}
	dir := privateDirIn(t)
	if got := stream.DefaultSocketPath(); got != filepath.Join(dir, "bphost.sock") {
		t.Fatalf("without: %s, want it in %s", got, dir)
	}
	if filepath.Dir(stream.DefaultSocketPath()) == os.TempDir() {
		t.Fatal("the default socket is in the shared temp dir")
	}
}

func TestPrepareSocketPath(t *testing.T) {
	t.Run("made private", func(t *testing.T) {
		dir := privateDirIn(t)
		path := stream.DefaultSocketPath()
		if err := stream.PrepareSocketPath(path, false); err != nil {
			t.Fatalf("dialing, no directory yet: %v", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a dial made the directory: %v", err)
		}
		if err := stream.PrepareSocketPath(path, true); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
			t.Fatalf("%v %v", fi.Mode(), err)
		}
		if err := stream.PrepareSocketPath(path, false); err != nil {
			t.Fatalf("again: %v", err)
		}
	})
	t.Run("open to others", func(t *testing.T) {
		dir := privateDirIn(t)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		for _, create := range []bool{false, true} {
			if err := stream.PrepareSocketPath(stream.DefaultSocketPath(), create); !errors.Is(err, stream.ErrUnsafeSocketDir) {
				t.Fatalf("create %v: %v", create, err)
			}
		}
	})
	t.Run("a symlink", func(t *testing.T) {
		dir := privateDirIn(t)
		if err := os.Symlink(t.TempDir(), dir); err != nil {
			t.Fatal(err)
		}
		if err := stream.PrepareSocketPath(stream.DefaultSocketPath(), true); !errors.Is(err, stream.ErrUnsafeSocketDir) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("another user's", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("making a directory another user owns needs root")
		}
		dir := privateDirIn(t)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := stream.PrepareSocketPath(stream.DefaultSocketPath(), false); !errors.Is(err, stream.ErrUnsafeSocketDir) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("other paths are the caller's", func(t *testing.T) {
		privateDirIn(t)
		if err := stream.PrepareSocketPath(filepath.Join(os.TempDir(), "mine.sock"), true); err != nil {
			t.Fatal(err)
		}
	})
}
