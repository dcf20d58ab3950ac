package main

import (
	"net"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a lenframe server on a loopback port for the conformance kit.
func peer(t testing.TB) plugintest.Peer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := plugintest.NewNetPeer(ln, func(c net.Conn) connector.FrameConn { return &lenConn{c, 1 << 24} },
		map[string]string{"address": ln.Addr().String()})
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformanceInProcess(t *testing.T) {
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.InProcess(pluginapi.FromConnector(desc, dial)),
		NewPeer: peer,
	})
}

func TestConformanceBinary(t *testing.T) {
	bin := plugintest.Build(t, ".", desc.Name)
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.Binary(bin, host.Config{}),
		NewPeer: peer,
	})
}
