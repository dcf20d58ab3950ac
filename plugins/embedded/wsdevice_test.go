package main

import (
	"context"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/comm/wsdevice/wsdevicetest"
	"github.com/bphost/bphost/pluginapi/host"
)

// With use-device-websocket-server, a websocket device named in the user
// device config dials in to the port of device-websocket-server-port and
// is driven through the plugin.
func TestDeviceWebsocketServerOption(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	user := filepath.Join(t.TempDir(), "user.json")
	if err := os.WriteFile(user, []byte(`{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p, err := host.NewInProcess(newEmbeddedTransport(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := client.New("test")
	events := c.Subscribe(0)
	defer events.Close()
	err = c.Connect(ctx, p.Connector(map[string]string{
		"use-bluetooth-le": "false", "user-device-config": user,
		"use-device-websocket-server": "true", "device-websocket-server-port": strconv.Itoa(port),
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	dev := wsdevicetest.Dial(t, ctx, "ws://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		wsdevice.Identify{Identifier: "LVSDevice", Address: "A1"}, "lovense", "Z")
	for {
		select {
		case ev := <-events.C():
			if a, ok := ev.(client.DeviceAdded); ok {
				if err := a.Device.Vibrate(ctx, client.Fraction(1)); err != nil {
					t.Fatal(err)
				}
				if _, err := dev.WaitFor(ctx, "Vibrate:20;"); err != nil {
					t.Fatal(err)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("the websocket device never appeared")
		}
	}
}

// A port that is not one is refused before a server starts.
func TestDeviceWebsocketServerBadPort(t *testing.T) {
	p, err := host.NewInProcess(newEmbeddedTransport(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = p.Connector(map[string]string{"use-bluetooth-le": "false", "use-device-websocket-server": "true", "device-websocket-server-port": "70000"}).Connect(ctx)
	if err == nil || !strings.Contains(err.Error(), "device-websocket-server-port 70000") {
		t.Fatalf("error %v, want one naming the port option", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// As in Intiface Engine, devices stay connected between clients of the
// plugin: client A finds a simulated toy and a websocket device and
// leaves (both are stopped); client B, with the same options, lists both
// in its first device list, without scanning, at the same indexes, and
// drives them.
func TestDevicesStayConnectedBetweenSessions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	user := filepath.Join(t.TempDir(), "user.json")
	if err := os.WriteFile(user, []byte(`{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	log := &writeLog{seen: make(chan struct{}, 1)}
	p, err := host.NewInProcess(newEmbeddedTransport(), host.Config{Logger: hostLogger(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	opts := map[string]string{
		"simulate": "Lovense Nora", "use-bluetooth-le": "false", "user-device-config": user,
		"use-device-websocket-server": "true", "device-websocket-server-port": strconv.Itoa(port),
	}

	a := client.New("client A")
	if err := a.Connect(ctx, p.Connector(opts)); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Devices()); n != 0 {
		t.Fatalf("client A saw %d devices before anything connected", n)
	}
	dev := wsdevicetest.Dial(t, ctx, "ws://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		wsdevice.Identify{Identifier: "LVSDevice", Address: "A1"}, "lovense", "Z")
	if err := a.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]uint32{}
	for len(want) < 2 {
		for _, d := range a.Devices() {
			if _, ok := want[d.Name()]; !ok {
				want[d.Name()] = d.Index()
				if err := d.Vibrate(ctx, client.Fraction(0.5)); err != nil {
					t.Fatal(err)
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("client A found %v, want the Nora and the websocket Hush", want)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := dev.WaitFor(ctx, "Vibrate:10;"); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, ctx, "Vibrate:10;")
	if err := a.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	// The safety stop of A's end reached both devices.
	if _, err := dev.WaitFor(ctx, "Vibrate:0;"); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, ctx, "Vibrate:0;")
	select {
	case <-dev.Done():
		t.Fatalf("the websocket device was disconnected when client A left: %v", dev.Err())
	default:
	}

	b := client.New("client B")
	if err := b.Connect(ctx, p.Connector(opts)); err != nil {
		t.Fatal(err)
	}
	defer b.Disconnect(ctx)
	got := map[string]uint32{}
	for _, d := range b.Devices() {
		got[d.Name()] = d.Index()
	}
	if !maps.Equal(got, want) {
		t.Fatalf("client B's first device list %v, want %v", got, want)
	}
	hush, _ := b.Device(want["Lovense Hush"])
	if err := hush.Vibrate(ctx, client.Fraction(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.WaitFor(ctx, "Vibrate:20;"); err != nil {
		t.Fatal(err)
	}
}
