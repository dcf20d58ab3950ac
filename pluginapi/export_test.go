package pluginapi

import (
	"testing"
	"time"

	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Hooks for the external tests.

// RawClient serves tr through go-plugin's own test connection
// (plugin.TestPluginGRPCConn, which runs the plugin binding this package
// gives go-plugin) and returns a bare client of the contract, to send what
// a correct host never sends. Everything stops when the test ends.
func RawClient(t testing.TB, tr Transport) pb.ConnectorServiceClient {
	t.Helper()
	srv := newServer(tr, tr.Describe(), hclog.NewNullLogger())
	client, server := plugin.TestPluginGRPCConn(t, false, wire.PluginSets(ContractVersion, srv)[ContractVersion])
	t.Cleanup(func() {
		// The server first: client.Close asks it to shut down too, and
		// go-plugin's two Stops of one server race.
		server.Stop()
		client.Close()
		srv.Stop()
	})
	raw, err := client.Dispense(wire.PluginKey)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := raw.(pb.ConnectorServiceClient)
	if !ok {
		t.Fatalf("dispensed %T", raw)
	}
	return c
}

// SetAttachTimeout changes how long an opened session waits for its stream;
// the returned func restores it.
func SetAttachTimeout(d time.Duration) (restore func()) {
	old := attachTimeout
	attachTimeout = d
	return func() { attachTimeout = old }
}

// FromStatus is wire.FromStatus: the text and sentinel of a transport
// error that crossed as a gRPC status.
var FromStatus = wire.FromStatus
