package plugintest_test

import (
	"testing"

	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/internal/testtransport"
	"github.com/bphost/bphost/pluginapi/plugintest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func linePeer(t testing.TB) plugintest.Peer { return plugintest.LinePeer(t) }

func TestFrame(t *testing.T) {
	for _, size := range []int{0, 10, 50, 1000, 1 << 20} {
		f := plugintest.Frame("tag", 7, size)
		if size >= 50 && len(f) != size {
			t.Errorf("Frame of %d bytes has %d", size, len(f))
		}
		tag, n, err := plugintest.ParseFrame(f)
		if err != nil || tag != "tag" || n != 7 {
			t.Errorf("ParseFrame(Frame(tag, 7, %d)) = %q, %d, %v", size, tag, n, err)
		}
	}
	for _, bad := range []string{"", "[]", `[{"Ping":{"Id":1}}]`, "{"} {
		if _, _, err := plugintest.ParseFrame([]byte(bad)); err == nil {
			t.Errorf("ParseFrame(%q) accepted it", bad)
		}
	}
}

func TestKitInProcess(t *testing.T) {
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.InProcess(testtransport.New()),
		NewPeer: linePeer,
	})
}

func TestKitBinary(t *testing.T) {
	bin := plugintest.Build(t, "github.com/bphost/bphost/pluginapi/internal/testtransport/linetcp", testtransport.Name)
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.Binary(bin, host.Config{}),
		NewPeer: linePeer,
	})
}
