//go:build !windows

package ipcconn_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/core/framing"
	"github.com/bphost/bphost/plugins/ipc/ipcconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUnixSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "bp.sock")
	c, err := ipcconn.New(ipcconn.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); !errors.Is(err, connector.ErrServerAbsent) {
		t.Fatalf("no socket yet: %v", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		f, err := framing.NewReader(s, 0).ReadFrame()
		if err == nil {
			framing.NewWriter(s).WriteFrame(append([]byte("echo "), f...))
		}
	}()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, []byte(`[{"Ping":{"Id":1}}]`)); err != nil {
		t.Fatal(err)
	}
	if f, err := c.Recv(ctx); err != nil || string(f) != `echo [{"Ping":{"Id":1}}]` {
		t.Fatalf("%q %v", f, err)
	}
	if _, err := c.Recv(ctx); !errors.Is(err, connector.ErrPeerClosed) {
		t.Fatalf("after server closed: %v", err)
	}
	c.Close()
	ln.Close()
	<-done
}

func TestPathValidation(t *testing.T) {
	if _, err := ipcconn.New(ipcconn.Options{Path: "/" + strings.Repeat("x", 200)}); err == nil {
		t.Fatal("overlong socket path accepted")
	}
	if !strings.HasSuffix(ipcconn.DefaultPath(), "bphost.sock") {
		t.Fatalf("default path %s", ipcconn.DefaultPath())
	}
}

// Without XDG_RUNTIME_DIR the default socket is in a per-user directory;
// one that others may write to (made by someone else, who put a server of
// theirs in it) is refused before anything is sent. Before, the default was
// /tmp/bphost.sock, which any local user could take.
func TestDefaultPathRefusesSharedDir(t *testing.T) {
	tmp, err := os.MkdirTemp("", "bphi")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	dir := filepath.Join(tmp, fmt.Sprintf("bphost-%d", os.Getuid()))
	if got := ipcconn.DefaultPath(); got != filepath.Join(dir, "bphost.sock") {
		t.Fatalf("default path %s, want it in %s", got, dir)
	}
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", ipcconn.DefaultPath())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{})
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			close(accepted)
		}
	}()
	c, err := ipcconn.New(ipcconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); !errors.Is(err, stream.ErrUnsafeSocketDir) {
		c.Close()
		t.Fatalf("connect through a shared directory: %v", err)
	}
	select {
	case <-accepted:
		t.Fatal("the stand-in server got a connection")
	default:
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("the user's own directory: %v", err)
	}
	c.Close()
	<-accepted
}
