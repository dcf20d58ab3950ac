package embedded_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/comm/wsdevice/wsdevicetest"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/embedded"
)

// A user device config that makes "LVSDevice" websocket devices Lovense
// toys.
const wsUserConfig = `{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}`

// A websocket device answering like a Lovense Hush dials in to the
// embedded server's device websocket server; our client sees it arrive,
// vibrates it (the device receives Lovense's bytes), and sees it leave.
func TestWebsocketDeviceThroughEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: []byte(wsUserConfig)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := embedded.New(embedded.Config{DB: db, DeviceWebsocket: true, DeviceWebsocketAddr: "127.0.0.1:0",
		Warn: func(err error) { t.Errorf("backend off: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.DeviceWebsocket == nil {
		t.Fatal("no device websocket server")
	}

	c := client.New("test")
	events := c.Subscribe(0)
	defer events.Close()
	if err := c.Connect(ctx, srv.Connector()); err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	dev := wsdevicetest.Dial(t, ctx, "ws://"+srv.DeviceWebsocket.Addr().String(),
		wsdevice.Identify{Identifier: "LVSDevice", Address: "8A3F2C01"}, "lovense", "Z")

	var d *client.Device
	for d == nil {
		select {
		case ev := <-events.C():
			if a, ok := ev.(client.DeviceAdded); ok {
				d = a.Device
			}
		case <-ctx.Done():
			t.Fatal("the websocket device never appeared")
		}
	}
	if d.Name() != "Lovense Hush" {
		t.Fatalf("device %q, want Lovense Hush", d.Name())
	}
	if err := d.Vibrate(ctx, client.Fraction(0.5)); err != nil {
		t.Fatal(err)
	}
	got, err := dev.WaitFor(ctx, "Vibrate:10;")
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "DeviceType;" {
		t.Errorf("first message %q, want DeviceType;", got[0])
	}

	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ev := <-events.C():
			if r, ok := ev.(client.DeviceRemoved); ok {
				if r.Device.Index() != d.Index() {
					t.Fatalf("removed %v, want %v", r.Device, d)
				}
				if err := d.Vibrate(ctx, client.Fraction(0.5)); err == nil {
					t.Fatal("a removed device took a command")
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("no DeviceRemoved after the device left")
		}
	}
}

// A device websocket server that cannot listen is left out with the
// reason; the rest of the server runs.
func TestWebsocketDeviceServerAddressInUse(t *testing.T) {
	first, err := embedded.New(embedded.Config{DeviceWebsocket: true, DeviceWebsocketAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	var warned []error
	second, err := embedded.New(embedded.Config{DeviceWebsocket: true, DeviceWebsocketAddr: first.DeviceWebsocket.Addr().String(),
		Warn: func(err error) { warned = append(warned, err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if second.DeviceWebsocket != nil || len(warned) != 1 || !strings.Contains(warned[0].Error(), "device websocket server") {
		t.Fatalf("server %v, warnings %v; want none and one naming the device websocket server", second.DeviceWebsocket, warned)
	}
	if !errors.Is(warned[0], wsdevice.ErrListen) {
		t.Errorf("warning %v does not wrap wsdevice.ErrListen", warned[0])
	}
}
