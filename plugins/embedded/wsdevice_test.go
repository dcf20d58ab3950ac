package main

import (
	"context"
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
	p, err := host.NewInProcess(newTransport(serveEmbedded), host.Config{})
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
	p, err := host.NewInProcess(newTransport(serveEmbedded), host.Config{})
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
