package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm/serial/serialtest"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/comm/wsdevice/wsdevicetest"
	"github.com/bphost/bphost/internal/peerstest"
)

// A command line written for intiface-engine 4 runs `bphost serve` with a
// websocket Lovense toy and a serial TCode stroker, both named by the user
// device config, and the npm reference client drives both in one session:
// the toy gets the vibrate's bytes, the stroker's port the TCode line, and
// the client sees the server name given.
func TestE2EServeEngineCommandLine(t *testing.T) {
	peers := peerstest.Dir(t, "buttplug")
	stroker := serialtest.New(t, true)
	user := filepath.Join(t.TempDir(), "user.json")
	cfg := fmt.Sprintf(`{"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {
  "tcode-v03": {"communication": [{"serial": {"port": %q, "baud_rate": 115200}}]},
  "lovense": {"communication": [{"websocket": {"name": "LVSDevice"}}]}}}}`, stroker.Path)
	if err := os.WriteFile(user, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	const name = "Engine Test Server"
	wsPort, devPort := peerstest.FreePort(t), peerstest.FreePort(t)
	url, output := serveWith(t, nil,
		"--websocket-port", strconv.Itoa(wsPort),
		"--server-name", name,
		"--use-device-websocket-server",
		"--device-websocket-server-port", strconv.Itoa(devPort),
		"--use-serial",
		"--user-device-config-file", user,
		"--use-bluetooth-le=false",
		"--log", "info")
	if want := fmt.Sprintf("ws://127.0.0.1:%d", wsPort); url != want {
		t.Fatalf("serve listens on %s, want %s (--websocket-port)", url, want)
	}
	if want := fmt.Sprintf("Buttplug server %q", name); !strings.Contains(output.String(), want) {
		t.Errorf("serve's output lacks %s:\n%s", want, output)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The device websocket server listens once serve reported its address.
	toy := wsdevicetest.Dial(t, ctx, fmt.Sprintf("ws://127.0.0.1:%d", devPort),
		wsdevice.Identify{Identifier: "LVSDevice", Address: "8A3F2C01"}, "lovense", "Z")

	script, err := filepath.Abs(filepath.Join("testdata", "engine-client.js"))
	if err != nil {
		t.Fatal(err)
	}
	p := peerstest.Start(t, peers, []string{"PEERS=" + peers}, script, url)
	lines, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("node client: %v\n%s\nserve:\n%s", err, strings.Join(lines, "\n"), output)
	}
	steps := succeededSteps(lines)
	for _, want := range []string{"connect", "serverName", "scan", "devices", "vibrate", "linear", "disconnect"} {
		if _, ok := steps[want]; !ok {
			t.Errorf("step %s did not succeed:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if got, want := steps["serverName"], strconv.Quote(name); got != want {
		t.Errorf("the client sees server name %s, want %s", got, want)
	}
	if got, want := steps["devices"], `["Lovense Hush","TCode v0.3 (Single Linear Axis)"]`; got != want {
		t.Errorf("devices %s, want %s", got, want)
	}

	// 0.5 of the Hush's 20 steps; 0.5 of the axis' 0..1000 in 500 ms.
	got, err := toy.WaitFor(ctx, "Vibrate:10;")
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "DeviceType;" {
		t.Errorf("the toy's first message %q, want DeviceType;", got[0])
	}
	stroker.WaitFor("L0500I500\n")
	// The client left: the server stopped the toy.
	got, err = toy.WaitFor(ctx, "Vibrate:0;")
	if err != nil {
		t.Error(err)
	}
	t.Logf("the websocket toy received %q", got)
}
