package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm/btle/fakebluez"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// hostGoneBound bounds, generously for a loaded machine, how long after
// its host's SIGKILL the plugin may take to stop the toy; the aim is 1 s,
// and the time measured is logged.
const hostGoneBound = 5 * time.Second

// A host killed with SIGKILL while its client vibrates a Bluetooth LE toy
// through the embedded plugin: the plugin outlives the host's broken pipes
// long enough to stop the toy (Vibrate:0;) and to disconnect it itself
// (Device1.Disconnect), rather than dying and leaving BlueZ to drop a link
// to a toy that keeps running.
func TestHostKilledPluginStopsBluetoothToy(t *testing.T) {
	// Built before the clock starts: a cold build can take a minute.
	bin := plugintest.Build(t, ".", "embedded")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bus, err := fakebluez.StartBus(ctx)
	if errors.Is(err, fakebluez.ErrNoDaemon) {
		t.Skipf("needs dbus-daemon (apt-get install -y dbus): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	z, err := fakebluez.New(bus.Address())
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	sim := simulated.New(db)
	defer sim.Close()
	toy, err := sim.Add("Lovense Hush")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := z.AddSimulated(toy, db.BLEServices("lovense")); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hostHelperEnv+"="+bin, "DBUS_SYSTEM_BUS_ADDRESS="+bus.Address())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	var pid int
	if !lines.Scan() {
		t.Fatal("the host said nothing")
	}
	if _, err := fmt.Sscanf(lines.Text(), "vibrating %d", &pid); err != nil {
		t.Fatalf("the host said %q", lines.Text())
	}
	waitRecord(t, ctx, toy, "Vibrate:10;", time.Time{})

	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Waiting three bounds makes a miss a failure that says what came.
	kctx, kcancel := context.WithDeadline(ctx, killed.Add(3*hostGoneBound))
	defer kcancel()
	stop := waitRecord(t, kctx, toy, "Vibrate:0;", killed)
	disconnect := waitCall(t, kctx, z, "Disconnect", killed)
	gone := waitExit(t, pid, killed.Add(hostGoneBound))
	t.Logf("host SIGKILL → toy stopped after %v, Device1.Disconnect after %v, plugin pid %d gone after %v",
		stop.Sub(killed).Round(time.Millisecond), disconnect.Sub(killed).Round(time.Millisecond), pid, gone.Sub(killed).Round(time.Millisecond))
	for what, at := range map[string]time.Time{"the stop": stop, "the disconnect": disconnect} {
		if at.Sub(killed) > hostGoneBound {
			t.Errorf("%s came %v after the host's death, bound %v", what, at.Sub(killed), hostGoneBound)
		}
	}
}

// waitRecord waits until the toy receives want after since and returns
// when it did.
func waitRecord(t *testing.T, ctx context.Context, d *simulated.Device, want string, since time.Time) time.Time {
	t.Helper()
	for {
		ch := d.Changed()
		for _, w := range d.Writes() {
			if string(w.Data) == want && w.Time.After(since) {
				return w.Time
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the toy did not receive %q; it received %v", want, d.Writes())
		}
	}
}

// waitCall waits until BlueZ gets a call of member after since, and returns
// when it was seen (polled).
func waitCall(t *testing.T, ctx context.Context, z *fakebluez.BlueZ, member string, since time.Time) time.Time {
	t.Helper()
	seen := 0
	for {
		calls := z.Calls()
		for _, c := range calls[seen:] {
			if c.Member == member {
				return time.Now()
			}
		}
		seen = len(calls)
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("BlueZ got no %s call after %v", member, time.Since(since))
		}
	}
}

// waitExit waits until process pid has exited (reaped or not), at most
// until deadline, and returns when it was seen gone.
func waitExit(t *testing.T, pid int, deadline time.Time) time.Time {
	t.Helper()
	for time.Now().Before(deadline) {
		// Gone, or a zombie (state Z) not reaped yet by its new parent.
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(stat, ')'); err != nil || (i > 0 && i+2 < len(stat) && stat[i+2] == 'Z') {
			return time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("plugin process %d still runs after its host's death", pid)
	return time.Now()
}
