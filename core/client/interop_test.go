package client_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/internal/peerstest"
)

// The interop tests run the Rust reference server (buttplug-rs 7.1.5 compiled
// to WASM, spec v3 only) from interop/peers with simulated Bluetooth toys,
// and check the bytes it writes to them.

// wasmServer runs the reference server and returns its websocket URL and
// the process, whose output lines are the server's log.
func wasmServer(t *testing.T, ctx context.Context, env ...string) (string, *peerstest.Process) {
	t.Helper()
	return peerstest.StartWASMServer(t, ctx, env...)
}

// hexBytes writes s the way the server log shows written bytes.
func hexBytes(s string) string {
	parts := make([]string, len(s))
	for i := range len(s) {
		parts[i] = fmt.Sprintf("%02x", s[i])
	}
	return strings.Join(parts, " ")
}

func lovenseWrite(cmd string) *regexp.Regexp {
	return regexp.MustCompile(`\[device LVS-Hush\d+\] write fff2: ` + hexBytes(cmd) + `  "` + regexp.QuoteMeta(cmd) + `"$`)
}

func magicMotionWrite(hex string) *regexp.Regexp {
	return regexp.MustCompile(`\[device Smart Mini Vibe\] write 7579: ` + hex + `  "`)
}

// waitDevice waits for a DeviceAdded event of a device named name.
func waitDevice(t *testing.T, ctx context.Context, events *client.Subscription, name string) *client.Device {
	t.Helper()
	for {
		select {
		case ev := <-events.C():
			switch ev := ev.(type) {
			case client.DeviceAdded:
				if ev.Device.Name() == name {
					return ev.Device
				}
				t.Logf("device %v added while waiting for %s", ev.Device, name)
			case client.Disconnected:
				t.Fatalf("disconnected while waiting for %s: %v", name, ev.Err)
			}
		case <-ctx.Done():
			t.Fatalf("no DeviceAdded for %s", name)
		}
	}
}

func TestInteropWASMServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url, log := wasmServer(t, ctx)
	start := len(log.Lines())

	// A generous handshake timeout: the server loads a WASM module for each
	// connection before answering, and this test is about its Error.
	c := client.New("bphost interop", client.WithHandshakeTimeout(20*time.Second))
	events := c.Subscribe(64)
	defer events.Close()
	conn := &wsConnector{url: url}
	if err := c.Connect(ctx, conn); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	info, _ := c.ServerInfo()
	t.Logf("server %q, spec %s, refused %+v, reconnected %v", info.Name, info.Version, info.Refused, info.Reconnected)
	if info.Version != protocol.Version3 || info.Name != "Buttplug Server" {
		t.Fatalf("ServerInfo %+v, want spec v3 from Buttplug Server", info)
	}
	var perr *protocol.Error
	if len(info.Refused) != 1 || info.Refused[0].Version != protocol.Version4 || !errors.As(info.Refused[0].Err, &perr) {
		t.Fatalf("Refused %+v, want v4 refused with an Error", info.Refused)
	}
	if info.Reconnected {
		t.Error("reconnected; this server takes v3 on the same connection")
	}
	// On the wire: v4 asked, Error back, v3 asked, all on connection 1.
	at := start
	for _, re := range []string{
		`conn1 C->S \[\{"RequestServerInfo":\{"Id":1,"ClientName":"bphost interop","ProtocolVersionMajor":4,"ProtocolVersionMinor":0\}\}\]`,
		`conn1 S->C \[\{"Error":\{"Id":1,`,
		`conn1 C->S \[\{"RequestServerInfo":\{"Id":2,"ClientName":"bphost interop","MessageVersion":3\}\}\]`,
		`conn1 S->C \[\{"ServerInfo":\{"Id":2,"MessageVersion":3,`,
	} {
		i, err := log.WaitLine(ctx, at, regexp.MustCompile(re))
		if err != nil {
			t.Fatal(err)
		}
		at = i + 1
	}

	// Each StartScanning hands out one toy; ScanningFinished may come first.
	if err := c.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	magic := waitDevice(t, ctx, events, "MagicMotion Smart Mini Vibe")
	if err := c.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	lovense := waitDevice(t, ctx, events, "Lovense Hush")
	devs := c.Devices()
	if len(devs) != 2 || devs[0] != magic || devs[1] != lovense {
		t.Fatalf("Devices() = %v", devs)
	}
	for _, tt := range []struct {
		d     *client.Device
		steps int32
	}{{magic, 100}, {lovense, 20}} {
		f, ok := tt.d.Feature(0)
		if !ok || len(f.Outputs) != 1 || f.Outputs[0].Type != protocol.OutputVibrate || f.Outputs[0].Range != (protocol.Range{0, tt.steps}) {
			t.Errorf("%v feature 0 = %+v, want a Vibrate output of %d steps", tt.d, f, tt.steps)
		}
		if !tt.d.HasInput(protocol.InputBattery, protocol.InputCommandRead) {
			t.Errorf("%v lists no battery", tt.d)
		}
	}

	// Vibrate at half: the toys get the reference server's bytes.
	mark := len(log.Lines())
	if err := lovense.Vibrate(ctx, client.Fraction(0.5)); err != nil {
		t.Fatal(err)
	}
	if _, err := log.WaitLine(ctx, mark, lovenseWrite("Vibrate:10;")); err != nil {
		t.Fatal(err)
	}
	if err := magic.Vibrate(ctx, client.Fraction(0.5)); err != nil {
		t.Fatal(err)
	}
	if _, err := log.WaitLine(ctx, mark, magicMotionWrite("0b ff 04 0a 32 32 00 04 08 32 64 00")); err != nil {
		t.Fatal(err)
	}

	// Battery: the Lovense answers; the MagicMotion protocol has no battery
	// support in this server, which says so with ERROR_DEVICE.
	level, err := lovense.Battery(ctx)
	if err != nil || level != 85 {
		t.Errorf("Lovense battery = %d, %v; want 85", level, err)
	}
	if _, err := log.WaitLine(ctx, mark, lovenseWrite("Battery;")); err != nil {
		t.Fatal(err)
	}
	_, err = magic.Battery(ctx)
	if !errors.As(err, &perr) || perr.ErrorCode != protocol.ErrorDevice {
		t.Errorf("MagicMotion battery = %v, want a *protocol.Error with ERROR_DEVICE", err)
	}

	// Stop one device, then everything.
	mark = len(log.Lines())
	if err := lovense.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := log.WaitLine(ctx, mark, lovenseWrite("Vibrate:0;")); err != nil {
		t.Fatal(err)
	}
	if err := c.StopAllDevices(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := log.WaitLine(ctx, mark, magicMotionWrite("0b ff 04 0a 32 32 00 04 08 00 64 00")); err != nil {
		t.Fatal(err)
	}

	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	var removed int
	for done := false; !done; {
		switch ev := (<-events.C()).(type) {
		case client.DeviceRemoved:
			removed++
		case client.Disconnected:
			if !errors.Is(ev.Err, connector.ErrClosed) {
				t.Errorf("Disconnected.Err = %v", ev.Err)
			}
			done = true
		}
	}
	if removed != 2 || magic.Connected() || lovense.Connected() {
		t.Errorf("%d DeviceRemoved; connected %v %v", removed, magic.Connected(), lovense.Connected())
	}
	if _, err := log.WaitLine(ctx, at, regexp.MustCompile(`conn1 closed`)); err != nil {
		t.Fatal(err)
	}
	for _, line := range log.Lines() {
		if strings.Contains(line, "conn2") {
			t.Errorf("a second connection was opened: %s", line)
		}
	}
}

// With PANIC_CLOSE=1 the server closes the connection after refusing v4,
// so the client must reconnect and ask for v3 on a new connection.
func TestInteropWASMServerReconnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url, log := wasmServer(t, ctx, "PANIC_CLOSE=1", "FAKE_DEVICES=lovense")
	c := client.New("bphost interop", client.WithHandshakeTimeout(20*time.Second))
	events := c.Subscribe(64)
	defer events.Close()
	if err := c.Connect(ctx, &wsConnector{url: url}); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer c.Disconnect(ctx)
	info, _ := c.ServerInfo()
	t.Logf("server %q, spec %s, refused %+v, reconnected %v", info.Name, info.Version, info.Refused, info.Reconnected)
	var perr *protocol.Error
	if info.Version != protocol.Version3 || !info.Reconnected || len(info.Refused) == 0 ||
		info.Refused[0].Version != protocol.Version4 || !errors.As(info.Refused[0].Err, &perr) {
		t.Fatalf("ServerInfo %+v, want v3 after v4 refused with an Error and a reconnect", info)
	}
	if _, err := log.WaitLine(ctx, 0, regexp.MustCompile(`conn2 S->C \[\{"ServerInfo":\{"Id":1,"MessageVersion":3,`)); err != nil {
		t.Fatal(err)
	}
	if err := c.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	toy := waitDevice(t, ctx, events, "Lovense Hush")
	if err := toy.Vibrate(ctx, client.Fraction(0.25)); err != nil {
		t.Fatal(err)
	}
	if _, err := log.WaitLine(ctx, 0, lovenseWrite("Vibrate:5;")); err != nil {
		t.Fatal(err)
	}
}

func TestInteropServerAbsent(t *testing.T) {
	c := client.New("bphost interop")
	err := c.Connect(context.Background(), &wsConnector{url: fmt.Sprintf("ws://127.0.0.1:%d", peerstest.FreePort(t))})
	if !errors.Is(err, client.ErrServerAbsent) {
		t.Fatalf("Connect to a closed port = %v, want ErrServerAbsent", err)
	}
}
