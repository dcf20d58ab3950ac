package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm/btle/fakebluez"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/internal/peerstest"
)

// bleToy is a simulated Lovense Hush presented over Bluetooth LE by a BlueZ
// stand-in on a private bus; env points a bphost process at that bus.
type bleToy struct {
	sd  *simulated.Device
	fd  *fakebluez.Device
	env []string
}

func newBLEToy(t *testing.T) *bleToy {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := fakebluez.StartBus(ctx)
	if errors.Is(err, fakebluez.ErrNoDaemon) {
		t.Skipf("Bluetooth LE end to end needs dbus-daemon (apt-get install -y dbus): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	z, err := fakebluez.New(bus.Address())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { z.Close() })
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	sim := simulated.New(db)
	t.Cleanup(func() { sim.Close() })
	sd, err := sim.Add("Lovense Hush", simulated.WithBattery(64))
	if err != nil {
		t.Fatal(err)
	}
	fd, err := z.AddSimulated(sd, db.BLEServices("lovense"))
	if err != nil {
		t.Fatal(err)
	}
	return &bleToy{sd: sd, fd: fd, env: []string{"DBUS_SYSTEM_BUS_ADDRESS=" + bus.Address()}}
}

// waitWrite waits until the toy's writes from index from on include want,
// and returns the index after it.
func (b *bleToy) waitWrite(t *testing.T, from int, want string) int {
	t.Helper()
	limit := time.After(10 * time.Second)
	for {
		ch := b.sd.Changed()
		w := b.sd.Writes()
		for i := from; i < len(w); i++ {
			if string(w[i].Data) == want {
				return i + 1
			}
		}
		select {
		case <-ch:
		case <-limit:
			t.Fatalf("the toy did not get %q after write %d; writes: %v", want, from, w)
		}
	}
}

// The npm reference client drives a Bluetooth LE toy through `bphost
// serve`: scan, vibrate, battery, stop; the toy drops its link and the
// client hears DeviceRemoved within a second; a new scan finds it again;
// the client leaves with the toy running and the server stops it.
func TestE2EServeBluetoothLE(t *testing.T) {
	peers := peerstest.Dir(t, "buttplug")
	toy := newBLEToy(t)
	url, output := serveWith(t, toy.env, "--listen", "ws://"+freePort(t), "--log-level", "info")
	script, err := filepath.Abs(filepath.Join("testdata", "ble-client.js"))
	if err != nil {
		t.Fatal(err)
	}
	p := peerstest.Start(t, peers, []string{"PEERS=" + peers}, script, url)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	i, err := p.WaitLine(ctx, 0, regexp.MustCompile(`"step":"drop-now"`))
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(p.Lines(), "\n"))
	}
	next := toy.waitWrite(t, 0, "DeviceType;")
	next = toy.waitWrite(t, next, "Vibrate:10;")
	next = toy.waitWrite(t, next, "Battery;")
	next = toy.waitWrite(t, next, "Vibrate:0;")

	dropped := time.Now()
	toy.fd.DropLink()
	if _, err := p.WaitLine(ctx, i, regexp.MustCompile(`"step":"removed","ok":true`)); err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(p.Lines(), "\n"))
	}
	took := time.Since(dropped)
	t.Logf("DeviceRemoved reached the npm client %v after the link dropped", took)
	if took > time.Second {
		t.Errorf("DeviceRemoved %v after the drop, want within 1s", took)
	}

	lines, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, strings.Join(lines, "\n"))
	}
	steps := succeededSteps(lines)
	for _, want := range []string{"connect", "scan", "device", "vibrate", "battery", "stop", "removed", "rescan", "again", "vibrate2", "disconnect"} {
		if _, ok := steps[want]; !ok {
			t.Errorf("step %s did not succeed:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if steps["device"] != `"Lovense Hush"` || steps["battery"] != "64" {
		t.Errorf("device %s, battery %s", steps["device"], steps["battery"])
	}
	// Found again: a new handshake, 0.25 as 5 of 20 steps, and the stop the
	// server sent when the client left.
	next = toy.waitWrite(t, next, "DeviceType;")
	next = toy.waitWrite(t, next, "Vibrate:5;")
	toy.waitWrite(t, next, "Vibrate:0;")
	if strings.Contains(output.String(), "bluetooth LE off") {
		t.Errorf("serve warned about Bluetooth LE though BlueZ was there:\n%s", output)
	}
}

// The embedded plugin reaches the same toy over Bluetooth LE: a timed
// vibrate, a vibrate left running when the command exits (the plugin's
// server stops the toy), a battery read, and a dropped link that `watch`
// reports within a second.
func TestE2EEmbeddedBluetoothLE(t *testing.T) {
	toy := newBLEToy(t)
	code, out, errs := runBphostEnv(t, toy.env, "--opt", "use-bluetooth-le=true", "vibrate", "--device", "0", "--level", "0.5", "--duration", "300ms")
	if code != 0 || !strings.Contains(out, "vibrate feature 0 at 0.5") {
		t.Fatalf("vibrate: exit %d\n%s\n%s", code, out, errs)
	}
	next := toy.waitWrite(t, 0, "Vibrate:10;")
	next = toy.waitWrite(t, next, "Vibrate:0;")
	code, out, errs = runBphostEnv(t, toy.env, "vibrate", "--device", "0", "--level", "0.25")
	if code != 0 {
		t.Fatalf("vibrate without duration: exit %d\n%s\n%s", code, out, errs)
	}
	next = toy.waitWrite(t, next, "Vibrate:5;")
	toy.waitWrite(t, next, "Vibrate:0;")
	code, out, errs = runBphostEnv(t, toy.env, "battery", "--device", "0")
	if code != 0 || !strings.Contains(out, "battery 64%") {
		t.Fatalf("battery: exit %d\n%s\n%s", code, out, errs)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := bphost(t, ctx, "watch", "--scan", "2s")
	cmd.Env = append(cmd.Env, toy.env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("watch ended before printing %q", want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("watch did not print %q", want)
			}
		}
	}
	waitLine("device added 0: Lovense Hush")
	dropped := time.Now()
	toy.fd.DropLink()
	waitLine("device removed 0: Lovense Hush")
	took := time.Since(dropped)
	t.Logf("watch through the embedded plugin printed the removal %v after the link dropped", took)
	if took > time.Second {
		t.Errorf("device removed %v after the drop, want within 1s", took)
	}
	cancel()
	if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("watch exited %d after an interrupt (%v)", cmd.ProcessState.ExitCode(), err)
	}
}

// Without BlueZ, serve and the embedded plugin say why in one warning line
// and go on with their simulated toys.
func TestE2EBluetoothLEUnavailable(t *testing.T) {
	_, output := serve(t, "ws://"+freePort(t))
	output.wait(t, "bluetooth LE off")
	var warnings []string
	for _, l := range strings.Split(output.String(), "\n") {
		if strings.Contains(l, "bluetooth LE off") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "is dbus running?") {
		t.Errorf("serve's warnings %q, want one naming the missing bus", warnings)
	}
	code, out, errs := runBphost(t, "--simulate", "Lovense Hush", "devices", "--scan", "300ms")
	if code != 0 || !strings.Contains(out, "Lovense Hush") {
		t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
	}
	if n := strings.Count(errs, "bluetooth LE off"); n != 1 || !strings.Contains(errs, "is dbus running?") {
		t.Errorf("embedded plugin's stderr has %d Bluetooth warnings:\n%s", n, errs)
	}
	code, _, errs = runBphost(t, "--simulate", "Lovense Hush", "--opt", "use-bluetooth-le=false", "devices", "--scan", "300ms")
	if code != 0 || strings.Contains(errs, "bluetooth") {
		t.Errorf("use-bluetooth-le=false: exit %d, stderr %s", code, errs)
	}
}

// succeededSteps reads the JSON step lines of a testdata node client
// ({"step": NAME, "ok": true, "value": V}) and returns each step that
// succeeded with its value as JSON.
func succeededSteps(lines []string) map[string]string {
	steps := map[string]string{}
	for _, l := range lines {
		var s struct {
			Step  string          `json:"step"`
			OK    bool            `json:"ok"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal([]byte(l), &s) == nil && s.Step != "" && s.OK {
			steps[s.Step] = string(s.Value)
		}
	}
	return steps
}
