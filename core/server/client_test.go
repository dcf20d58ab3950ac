package server_test

import (
	"context"
	"testing"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
)

// waitAdded waits for a DeviceAdded event of the device named name.
func waitAdded(t *testing.T, ctx context.Context, sub *client.Subscription, name string) *client.Device {
	t.Helper()
	for {
		select {
		case ev := <-sub.C():
			switch ev := ev.(type) {
			case client.DeviceAdded:
				if ev.Device.Name() == name {
					return ev.Device
				}
			case client.Disconnected:
				t.Fatalf("disconnected while waiting for %s: %v", name, ev.Err)
			}
		case <-ctx.Done():
			t.Fatalf("no DeviceAdded for %s", name)
		}
	}
}

// The Go client drives the server through the in-process connector under
// both spec versions: scan, device appears, vibrate, battery, stop,
// disconnect; the simulated toy gets the bytes a real one would.
func TestClientInProcess(t *testing.T) {
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		t.Run(v.String(), func(t *testing.T) {
			r := newRig(t, rigOpts{})
			sd, err := r.sim.Add("Lovense Hush", simulated.WithBattery(64))
			if err != nil {
				t.Fatal(err)
			}
			ctx := ctxT(t)
			c := client.New("test", client.WithVersion(v))
			sub := c.Subscribe(0)
			defer sub.Close()
			if err := c.Connect(ctx, r.srv.Connector()); err != nil {
				t.Fatal(err)
			}
			if info, _ := c.ServerInfo(); info.Version != v {
				t.Fatalf("agreed %v, want %v", info.Version, v)
			}
			if err := c.StartScanning(ctx); err != nil {
				t.Fatal(err)
			}
			d := waitAdded(t, ctx, sub, "Lovense Hush")
			if err := d.Vibrate(ctx, client.Fraction(0.5)); err != nil {
				t.Fatal(err)
			}
			hasWrite(t, sd, "Vibrate:10;")
			if lvl, err := d.Battery(ctx); err != nil || lvl != 64 {
				t.Fatalf("battery = %d, %v; want 64", lvl, err)
			}
			if err := d.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			lastWrite(t, sd, "Vibrate:0;")
			if err := d.Vibrate(ctx, client.Fraction(0.25)); err != nil {
				t.Fatal(err)
			}
			hasWrite(t, sd, "Vibrate:5;")
			if err := c.Disconnect(ctx); err != nil {
				t.Fatal(err)
			}
			// The client's own stop-all and the server's end of session both
			// leave the toy stopped.
			lastWrite(t, sd, "Vibrate:0;")
			if e := r.sessionEvent(server.SessionEnded, 1); e.Err != nil || e.Client != "test" || e.Version != v {
				t.Fatalf("session end %+v", e)
			}
		})
	}
}

// WatchSessions sees the same session events as the observer option, and
// nothing once stopped.
func TestWatchSessions(t *testing.T) {
	r := newRig(t, rigOpts{})
	seen := make(chan server.SessionEvent, 8)
	stop := r.srv.WatchSessions(func(e server.SessionEvent) { seen <- e })
	ctx := ctxT(t)
	c := client.New("watched")
	if err := c.Connect(ctx, r.srv.Connector()); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-seen:
		if e.Kind != server.SessionStarted || e.Client != "watched" {
			t.Fatalf("watcher got %+v, want SessionStarted of client watched", e)
		}
	case <-ctx.Done():
		t.Fatal("watcher saw no SessionStarted")
	}
	stop()
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	r.sessionEvent(server.SessionEnded, 1)
	select {
	case e := <-seen:
		t.Fatalf("stopped watcher got %+v", e)
	default:
	}
}
