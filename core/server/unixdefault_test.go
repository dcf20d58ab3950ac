//go:build !windows

package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector/stream"
)

// unix:// listens on the default socket, in a 0700 directory of the
// user's own when there is no XDG_RUNTIME_DIR, and a client finds it there.
func TestUnixDefaultSocket(t *testing.T) {
	tmp, err := os.MkdirTemp("", "bphd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	r := newRig(t, rigOpts{})
	ls := serve(t, r.srv, "unix://")
	path := stream.DefaultSocketPath()
	if ls[0].URL() != "unix://"+path || filepath.Dir(filepath.Dir(path)) != filepath.Clean(tmp) {
		t.Fatalf("listening on %s; default %s", ls[0].URL(), path)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory %v %v", fi.Mode(), err)
	}
	ctx := ctxT(t)
	c := client.New("default socket")
	if err := c.Connect(ctx, dialer(t, ls[0].URL())); err != nil {
		t.Fatal(err)
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
}
