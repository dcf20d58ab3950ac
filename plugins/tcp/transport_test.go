package main

import (
	"testing"

	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

func TestConformance(t *testing.T) {
	peer := func(t testing.TB) plugintest.Peer { return plugintest.LinePeer(t) }
	t.Run("in-process", func(t *testing.T) {
		plugintest.Run(t, plugintest.Config{Start: plugintest.InProcess(transport()), NewPeer: peer})
	})
	t.Run("binary", func(t *testing.T) {
		bin := plugintest.Build(t, ".", "tcp")
		plugintest.Run(t, plugintest.Config{Start: plugintest.Binary(bin, host.Config{}), NewPeer: peer})
	})
}
