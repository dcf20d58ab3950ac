package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/embedded"
)

// A device found by one client stays connected when that client leaves
// (stopped, as every session end stops every device), and the next client
// sees it, with the same index, in its first device list, without
// scanning.
func TestDevicesStayConnectedBetweenClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := embedded.New(embedded.Config{Simulate: []string{"Lovense Hush"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	a := client.New("client A")
	events := a.Subscribe(0)
	defer events.Close()
	if err := a.Connect(ctx, srv.Connector()); err != nil {
		t.Fatal(err)
	}
	if got := a.Devices(); len(got) != 0 {
		t.Fatalf("client A saw %v before scanning", got)
	}
	if err := a.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	var index uint32
	for added := false; !added; {
		select {
		case ev := <-events.C():
			if d, ok := ev.(client.DeviceAdded); ok {
				index, added = d.Device.Index(), true
				if err := d.Device.Vibrate(ctx, client.Fraction(0.5)); err != nil {
					t.Fatal(err)
				}
			}
		case <-ctx.Done():
			t.Fatal("client A found no device")
		}
	}
	if err := a.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	sim := srv.Simulated.Devices()[0]
	writes := sim.Writes()
	if n := len(writes); n == 0 || string(writes[n-1].Data) != "Vibrate:0;" {
		t.Fatalf("the device did not get a stop when client A left: writes %v", writes)
	}
	if !sim.Connected() {
		t.Fatal("the device was disconnected when client A left")
	}

	b := client.New("client B")
	if err := b.Connect(ctx, srv.Connector()); err != nil {
		t.Fatal(err)
	}
	defer b.Disconnect(ctx)
	devs := b.Devices()
	if len(devs) != 1 || devs[0].Index() != index || devs[0].Name() != "Lovense Hush" {
		t.Fatalf("client B's first device list = %v, want [%d] Lovense Hush", devs, index)
	}
	if err := devs[0].Vibrate(ctx, client.Fraction(1)); err != nil {
		t.Fatalf("client B drives the device: %v", err)
	}
	if got := sim.Writes(); string(got[len(got)-1].Data) != "Vibrate:20;" {
		t.Fatalf("last write %q, want Vibrate:20;", got[len(got)-1].Data)
	}
}
