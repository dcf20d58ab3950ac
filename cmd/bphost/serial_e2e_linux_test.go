package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/comm/serial/serialtest"
)

// A TCode stroker on a serial port the user device config names is driven
// through the embedded plugin with use-serial.
func TestE2EEmbeddedSerial(t *testing.T) {
	dev := serialtest.New(t, true)
	user := filepath.Join(t.TempDir(), "user.json")
	cfg := fmt.Sprintf(`{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"tcode-v03":{"communication":[{"serial":{"port":%q}}]}}}}`, dev.Path)
	if err := os.WriteFile(user, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := []string{"--opt", "use-serial=true", "--opt", "use-bluetooth-le=false", "--opt", "user-device-config=" + user}
	code, out, errs := runBphost(t, append(opts, "--json", "devices", "--scan", "1s")...)
	if code != 0 {
		t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
	}
	var devs []struct {
		Index uint32 `json:"index"`
		Name  string `json:"name"`
	}
	if err := json.Unmarshal([]byte(out), &devs); err != nil || len(devs) != 1 || !strings.Contains(devs[0].Name, "TCode") {
		t.Fatalf("devices %s: %v; want the one TCode device", out, err)
	}
	idx := fmt.Sprint(devs[0].Index)
	code, out, errs = runBphost(t, append(opts, "position", "--device", idx, "--level", "0.5", "--duration", "500ms")...)
	if code != 0 {
		t.Fatalf("position: exit %d\n%s\n%s", code, out, errs)
	}
	dev.WaitFor("L0500I500\n")
}

// `bphost serve --use-serial --user-device-config F` serves the same toy to
// a client that comes through the websocket plugin.
func TestE2EServeSerial(t *testing.T) {
	dev := serialtest.New(t, true)
	user := filepath.Join(t.TempDir(), "user.json")
	cfg := fmt.Sprintf(`{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"tcode-v03":{"communication":[{"serial":{"port":%q}}]}}}}`, dev.Path)
	if err := os.WriteFile(user, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _ := serveWith(t, nil, "--listen", "ws://"+freePort(t), "--use-serial", "--use-bluetooth-le=false", "--user-device-config", user)
	conn := []string{"--connector", "websocket", "--opt", "address=" + url}
	code, out, errs := runBphost(t, append(conn, "devices", "--scan", "1s")...)
	if code != 0 || !strings.Contains(out, "TCode") {
		t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runBphost(t, append(conn, "position", "--device", "0", "--level", "0.25", "--duration", "300ms")...)
	if code != 0 {
		t.Fatalf("position: exit %d\n%s\n%s", code, out, errs)
	}
	dev.WaitFor("L0250I300\n")
}
