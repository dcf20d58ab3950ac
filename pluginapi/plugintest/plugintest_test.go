package plugintest_test

import (
	"testing"

	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/internal/testtransport"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

func linePeer(t testing.TB) plugintest.Peer { return plugintest.LinePeer(t) }

func TestKitInProcess(t *testing.T) {
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.InProcess(testtransport.New()),
		NewPeer: linePeer,
	})
}

func TestKitBinary(t *testing.T) {
	bin := plugintest.Build(t, "github.com/bphost/bphost/pluginapi/internal/testtransport/linetcp", testtransport.Name)
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.Binary(bin, pluginapi.HostConfig{}),
		NewPeer: linePeer,
	})
}
