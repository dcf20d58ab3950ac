//go:build unix

package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// unixPeer is a line-framed peer on a Unix socket in a short temporary
// directory (socket paths are limited to about 100 bytes).
func unixPeer(t testing.TB) plugintest.Peer {
	dir, err := os.MkdirTemp("", "bphost-ipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	p := plugintest.NewNetPeer(ln, func(c net.Conn) connector.FrameConn { return stream.NewNetConn(c) }, map[string]string{"path": path})
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	t.Run("in-process", func(t *testing.T) {
		plugintest.Run(t, plugintest.Config{Start: plugintest.InProcess(transport()), NewPeer: unixPeer})
	})
	t.Run("binary", func(t *testing.T) {
		bin := plugintest.Build(t, ".", "ipc")
		plugintest.Run(t, plugintest.Config{Start: plugintest.Binary(bin, host.Config{}), NewPeer: unixPeer})
	})
}
