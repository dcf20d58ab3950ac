package btle_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/btle"
	"github.com/bphost/bphost/core/device/comm/btle/fakebluez"
)

// bus is the private dbus-daemon every test of the package shares;
// noBus says why there is none.
var (
	bus   *fakebluez.Bus
	noBus string
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	b, err := fakebluez.StartBus(ctx)
	cancel()
	switch {
	case errors.Is(err, fakebluez.ErrNoDaemon):
		noBus = "dbus-daemon is not installed (apt-get install -y dbus): " + err.Error()
	case err != nil:
		fmt.Fprintln(os.Stderr, "start the test bus:", err)
		os.Exit(1)
	default:
		bus = b
		os.Setenv("DBUS_SYSTEM_BUS_ADDRESS", b.Address())
	}
	code := m.Run()
	if bus != nil {
		bus.Close()
	}
	os.Exit(code)
}

// standIn starts a BlueZ stand-in on the shared bus for one test.
func standIn(t *testing.T, opts ...fakebluez.Option) *fakebluez.BlueZ {
	t.Helper()
	if bus == nil {
		t.Skip(noBus)
	}
	z, err := fakebluez.New(bus.Address(), opts...)
	if err != nil {
		t.Fatalf("start the BlueZ stand-in: %v", err)
	}
	t.Cleanup(func() { z.Close() })
	return z
}

// noLeaks checks, once the test's cleanups ran, that the test left no
// goroutine behind (the shared bus's own are there before it starts).
func noLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

func newManager(t *testing.T, opts ...btle.Option) *btle.Manager {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := btle.New(ctx, opts...)
	if err != nil {
		t.Fatalf("btle.New: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// nextFound waits for the next DeviceFound.
func nextFound(t *testing.T, m *btle.Manager, within time.Duration) comm.FoundDevice {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case e, ok := <-m.Events():
			if !ok {
				t.Fatalf("events closed while waiting for a device")
			}
			if e.Kind == comm.DeviceFound {
				return e.Device
			}
		case <-timer.C:
			t.Fatalf("no device found within %v", within)
		}
	}
}

// noFound checks that nothing is reported for a while.
func noFound(t *testing.T, m *btle.Manager, within time.Duration) {
	t.Helper()
	select {
	case e := <-m.Events():
		if e.Kind == comm.DeviceFound {
			t.Fatalf("reported again: %v", e.Device.Advertisement())
		}
	case <-time.After(within):
	}
}

const (
	svcA  = "0000fff0-0000-1000-8000-00805f9b34fb"
	txA   = "0000fff2-0000-1000-8000-00805f9b34fb"
	rxA   = "0000fff1-0000-1000-8000-00805f9b34fb"
	svcB  = "5a300001-0024-4bd4-bbd5-a6920e4c5653"
	charB = "5a300002-0024-4bd4-bbd5-a6920e4c5653"
)

func TestAdvertisementMapping(t *testing.T) {
	noLeaks(t)
	tests := []struct {
		name string
		p    fakebluez.Peripheral
		want comm.Advertisement
	}{
		{
			name: "name, services and manufacturer data",
			p: fakebluez.Peripheral{Name: "LVS-Z36", Address: "C0:11:22:33:44:01", UUIDs: []string{"5A300001-0024-4BD4-BBD5-A6920E4C5653"},
				ManufacturerData: map[uint16][]byte{620: {1, 2, 3}}},
			want: comm.Advertisement{Bus: comm.BusBLE, Name: "LVS-Z36", Address: "C0:11:22:33:44:01", Services: []string{svcB},
				ManufacturerData: map[uint16][]byte{620: {1, 2, 3}}},
		},
		{
			// BlueZ leaves UUIDs out when a device advertises none: the
			// case tinygo's Linux scan panics on.
			name: "no advertised services, no manufacturer data",
			p:    fakebluez.Peripheral{Name: "Fox", Address: "C0:11:22:33:44:02"},
			want: comm.Advertisement{Bus: comm.BusBLE, Name: "Fox", Address: "C0:11:22:33:44:02"},
		},
		{
			name: "no name",
			p:    fakebluez.Peripheral{Address: "C0:11:22:33:44:03", UUIDs: []string{svcA}},
			want: comm.Advertisement{Bus: comm.BusBLE, Address: "C0:11:22:33:44:03", Services: []string{svcA}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := standIn(t)
			if _, err := z.Add(tt.p); err != nil {
				t.Fatal(err)
			}
			m := newManager(t)
			if err := m.StartScanning(ctxFor(t, 5*time.Second)); err != nil {
				t.Fatal(err)
			}
			got := nextFound(t, m, 5*time.Second).Advertisement()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || !bytes.Equal(got.ManufacturerData[620], tt.want.ManufacturerData[620]) {
				t.Fatalf("advertisement\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestScanReportsOncePerScan(t *testing.T) {
	noLeaks(t)
	z := standIn(t)
	if _, err := z.Add(fakebluez.Peripheral{Name: "Fox", Address: "C0:11:22:33:44:10"}); err != nil {
		t.Fatal(err)
	}
	m := newManager(t)
	ctx := ctxFor(t, 10*time.Second)
	if err := m.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	nextFound(t, m, 5*time.Second)
	// Another program starting discovery makes BlueZ see the device again
	// (a fresh RSSI): the same advertisement, not reported twice.
	if err := otherDiscovery(ctx, t); err != nil {
		t.Fatal(err)
	}
	noFound(t, m, 300*time.Millisecond)
	// A new scan reports it again.
	if err := m.StopScanning(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	if got := nextFound(t, m, 5*time.Second).Advertisement().Address; got != "C0:11:22:33:44:10" {
		t.Fatalf("found %s", got)
	}
	if z.Discovering() != true {
		t.Fatalf("the stand-in is not discovering during a scan")
	}
	if err := m.StopScanning(ctx); err != nil {
		t.Fatal(err)
	}
	if z.Discovering() {
		t.Fatalf("StopScanning left discovery on")
	}
	filtered := false
	for _, c := range z.Calls() {
		if c.Member == "SetDiscoveryFilter" && strings.Contains(fmt.Sprint(c.Args), "le") {
			filtered = true
		}
	}
	if !filtered {
		t.Fatalf("no SetDiscoveryFilter with Transport=le among %v", z.Calls())
	}
}

func dbusConnect() (*dbus.Conn, error) { return dbus.Connect(os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")) }

// otherDiscovery plays another BlueZ client that starts a discovery.
func otherDiscovery(ctx context.Context, t *testing.T) error {
	t.Helper()
	conn, err := dbusConnect()
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Object("org.bluez", "/org/bluez/hci0").CallWithContext(ctx, "org.bluez.Adapter1.StartDiscovery", 0).Err
}

func TestNewErrors(t *testing.T) {
	noLeaks(t)
	if bus == nil {
		t.Skip(noBus)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T)
		want  string
	}{
		{"no system bus", func(t *testing.T) {
			t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
		}, "is dbus running?"},
		{"no BlueZ on the bus", func(t *testing.T) {}, "is bluetoothd running?"},
		{"adapter missing", func(t *testing.T) { standIn(t, fakebluez.WithoutAdapter()) }, "adapter hci0 not found"},
		{"adapter powered off", func(t *testing.T) { standIn(t, fakebluez.WithPoweredOff()) }, "adapter hci0 is powered off: turn it on"},
		{"access denied", func(t *testing.T) {
			denied, err := fakebluez.StartBus(ctxFor(t, 10*time.Second), fakebluez.DenyBlueZ())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { denied.Close() })
			z, err := fakebluez.New(denied.Address())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { z.Close() })
			t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", denied.Address())
		}, "add the user to the bluetooth group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			m, err := btle.New(ctxFor(t, 5*time.Second))
			if err == nil {
				m.Close()
				t.Fatalf("New succeeded")
			}
			if !errors.Is(err, btle.ErrUnavailable) {
				t.Errorf("error does not wrap ErrUnavailable: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, tt.want)
			}
		})
	}
	t.Run("another adapter by name", func(t *testing.T) {
		standIn(t, fakebluez.WithAdapter("hci1"))
		if _, err := btle.New(ctxFor(t, 5*time.Second)); err == nil || !strings.Contains(err.Error(), "adapter hci0 not found") {
			t.Fatalf("hci0 on a machine with hci1 only: %v", err)
		}
		newManager(t, btle.WithAdapter("hci1"))
	})
}

// connectOne scans for the one peripheral of z and connects with services.
func connectOne(t *testing.T, m *btle.Manager, services comm.ServiceMap, timeout time.Duration) (comm.Hardware, error) {
	t.Helper()
	if err := m.StartScanning(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	fd := nextFound(t, m, 5*time.Second)
	return fd.Connect(ctxFor(t, timeout), services)
}

// recorder is a Handler that records GATT operations.
type recorder struct {
	mu     sync.Mutex
	writes []string
	fail   error
	reads  map[string][]byte
}

func (r *recorder) Write(char string, data []byte, withResponse bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, fmt.Sprintf("%s %x %v", char, data, withResponse))
	return r.fail
}

func (r *recorder) Read(char string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads[char], nil
}

func (r *recorder) StartNotify(string) error { return nil }
func (r *recorder) StopNotify(string) error  { return nil }

func (r *recorder) Writes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func toyPeripheral(addr string, h fakebluez.Handler) fakebluez.Peripheral {
	return fakebluez.Peripheral{
		Name: "Toy", Address: addr, UUIDs: []string{svcA},
		Services: map[string][]fakebluez.Characteristic{
			svcA: {{UUID: txA}, {UUID: rxA}},
			svcB: {{UUID: charB}},
		},
		Handler: h,
	}
}

var toyServices = comm.ServiceMap{svcA: {comm.EndpointTx: txA, comm.EndpointRx: rxA}}

// connectedToy adds a toy peripheral served by h to a new stand-in and
// connects to it through a new Manager with toyServices.
func connectedToy(t *testing.T, addr string, h fakebluez.Handler) (*fakebluez.BlueZ, *fakebluez.Device, *btle.Manager, comm.Hardware) {
	t.Helper()
	z := standIn(t)
	d, err := z.Add(toyPeripheral(addr, h))
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t)
	hw, err := connectOne(t, m, toyServices, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return z, d, m, hw
}

func TestConnectMapsEndpoints(t *testing.T) {
	noLeaks(t)
	z := standIn(t)
	if _, err := z.Add(toyPeripheral("C0:11:22:33:44:20", &recorder{})); err != nil {
		t.Fatal(err)
	}
	m := newManager(t)
	hw, err := connectOne(t, m, comm.ServiceMap{
		svcA:                                   {comm.EndpointTx: txA, comm.EndpointRx: rxA},
		"0000180f-0000-1000-8000-00805f9b34fb": {comm.EndpointRxBLEBattery: "00002a19-0000-1000-8000-00805f9b34fb"},
	}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(hw.Endpoints()); got != "[rx tx]" {
		t.Fatalf("endpoints %s, want [rx tx]", got)
	}
	if hw.Name() != "Toy" || hw.Address() != "C0:11:22:33:44:20" {
		t.Fatalf("name %q address %q", hw.Name(), hw.Address())
	}
	if err := hw.Write(ctxFor(t, time.Second), comm.EndpointRxBLEBattery, []byte{1}, false); !errors.Is(err, comm.ErrUnknownEndpoint) {
		t.Fatalf("write to an endpoint the device lacks: %v", err)
	}
	if err := hw.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-hw.Notifications(); ok {
		t.Fatal("notifications open after Disconnect")
	}
	if err := hw.Disconnect(); err != nil {
		t.Fatalf("second Disconnect: %v", err)
	}
}

func TestConnectNoEndpoints(t *testing.T) {
	noLeaks(t)
	z := standIn(t)
	d, err := z.Add(toyPeripheral("C0:11:22:33:44:21", &recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t)
	_, err = connectOne(t, m, comm.ServiceMap{"deadbeef-0000-1000-8000-00805f9b34fb": {comm.EndpointTx: txA}}, 5*time.Second)
	if !errors.Is(err, comm.ErrNoEndpoints) {
		t.Fatalf("connect: %v, want ErrNoEndpoints", err)
	}
	if err := d.WaitConnected(ctxFor(t, 3*time.Second), false); err != nil {
		t.Fatalf("a device with no endpoints stays connected: %v", err)
	}
}

func TestConnectFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(d *fakebluez.Device)
		want  string
		ctx   error
	}{
		{"refused", func(d *fakebluez.Device) { d.RefuseConnect(true) }, "connect to Toy (C0:11:22:33:44:30)", nil},
		{"connect hangs", func(d *fakebluez.Device) { d.HangConnect(true) }, "connect to Toy (C0:11:22:33:44:30) timed out", context.DeadlineExceeded},
		{"services never resolve", func(d *fakebluez.Device) { d.NeverResolve(true) }, "service discovery of Toy (C0:11:22:33:44:30) timed out", context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			z := standIn(t)
			d, err := z.Add(toyPeripheral("C0:11:22:33:44:30", &recorder{}))
			if err != nil {
				t.Fatal(err)
			}
			tt.fault(d)
			m := newManager(t)
			const timeout = 300 * time.Millisecond
			start := time.Now()
			hw, err := connectOne(t, m, toyServices, timeout)
			took := time.Since(start)
			if err == nil {
				hw.Disconnect()
				t.Fatal("connect succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to name %q", err, tt.want)
			}
			if tt.ctx != nil && !errors.Is(err, tt.ctx) {
				t.Errorf("error %v does not wrap %v", err, tt.ctx)
			}
			// Prompt: the deadline, plus the scan and some slack for a
			// loaded machine.
			if took > timeout+5*time.Second {
				t.Errorf("connect took %v with a %v deadline", took, timeout)
			}
			if err := d.WaitConnected(ctxFor(t, 3*time.Second), false); err != nil {
				t.Errorf("the failed connection was not dropped: %v", err)
			}
		})
	}
}

func TestWriteReadSubscribe(t *testing.T) {
	noLeaks(t)
	rec := &recorder{reads: map[string][]byte{rxA: {0x55}}}
	_, d, _, hw := connectedToy(t, "C0:11:22:33:44:40", rec)
	defer hw.Disconnect()
	ctx := ctxFor(t, 5*time.Second)
	if err := hw.Write(ctx, comm.EndpointTx, []byte("Vibrate:10;"), false); err != nil {
		t.Fatal(err)
	}
	if err := hw.Write(ctx, comm.EndpointTx, []byte{1, 2}, true); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("%s %x false", txA, "Vibrate:10;"), txA + " 0102 true"}
	if got := rec.Writes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("writes %q, want %q", got, want)
	}
	got, err := hw.Read(ctx, comm.EndpointRx, 0)
	if err != nil || !bytes.Equal(got, []byte{0x55}) {
		t.Fatalf("read %x, %v", got, err)
	}

	if err := hw.Subscribe(ctx, comm.EndpointRx); err != nil {
		t.Fatal(err)
	}
	const n = 200 // under notifyBuffer: none may be dropped
	go func() {
		for i := range n {
			d.Notify(rxA, []byte{byte(i >> 8), byte(i)})
		}
	}()
	for i := range n {
		select {
		case note := <-hw.Notifications():
			if note.Endpoint != comm.EndpointRx || !bytes.Equal(note.Data, []byte{byte(i >> 8), byte(i)}) {
				t.Fatalf("notification %d: %v %x", i, note.Endpoint, note.Data)
			}
		case <-ctx.Done():
			t.Fatalf("got %d of %d notifications", i, n)
		}
	}
	if err := hw.Unsubscribe(ctx, comm.EndpointRx); err != nil {
		t.Fatal(err)
	}
	d.Notify(rxA, []byte{9})
	select {
	case note := <-hw.Notifications():
		t.Fatalf("notification after Unsubscribe: %v", note)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestWriteFaults(t *testing.T) {
	noLeaks(t)
	_, d, _, hw := connectedToy(t, "C0:11:22:33:44:50", &recorder{})
	defer hw.Disconnect()

	d.FailWrites(true)
	if err := hw.Write(ctxFor(t, 2*time.Second), comm.EndpointTx, []byte{1}, true); err == nil || !strings.Contains(err.Error(), "write tx") {
		t.Fatalf("failing write: %v", err)
	}
	d.FailWrites(false)

	d.HangWrites(true)
	start := time.Now()
	err := hw.Write(ctxFor(t, 200*time.Millisecond), comm.EndpointTx, []byte{1}, true)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hanging write: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("hanging write returned after %v", took)
	}
	d.HangWrites(false)
	if err := hw.Write(ctxFor(t, 2*time.Second), comm.EndpointTx, []byte{2}, true); err != nil {
		t.Fatalf("write after the hang: %v", err)
	}
}

func TestDropLink(t *testing.T) {
	noLeaks(t)
	_, d, m, hw := connectedToy(t, "C0:11:22:33:44:60", &recorder{})
	if err := hw.Subscribe(ctxFor(t, 2*time.Second), comm.EndpointRx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d.DropLink()
	select {
	case _, ok := <-hw.Notifications():
		if ok {
			t.Fatal("a notification instead of the end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the drop was not noticed")
	}
	t.Logf("drop noticed after %v", time.Since(start))
	if err := hw.Write(ctxFor(t, time.Second), comm.EndpointTx, []byte{1}, false); !errors.Is(err, comm.ErrDisconnected) {
		t.Fatalf("write after the drop: %v, want ErrDisconnected", err)
	}
	// The device advertises again: the running scan reports it.
	if err := otherDiscovery(ctxFor(t, 2*time.Second), t); err != nil {
		t.Fatal(err)
	}
	if got := nextFound(t, m, 5*time.Second).Advertisement().Address; got != "C0:11:22:33:44:60" {
		t.Fatalf("found %s", got)
	}
	hw.Disconnect()
}

func TestPowerOffEndsScan(t *testing.T) {
	noLeaks(t)
	z := standIn(t)
	m := newManager(t)
	if err := m.StartScanning(ctxFor(t, 2*time.Second)); err != nil {
		t.Fatal(err)
	}
	z.SetPowered(false)
	timer := time.After(5 * time.Second)
	for {
		select {
		case e := <-m.Events():
			if e.Kind == comm.ScanFinished {
				if err := m.StartScanning(ctxFor(t, 2*time.Second)); err == nil || !strings.Contains(err.Error(), "powered off") {
					t.Fatalf("scan on a powered-off adapter: %v", err)
				}
				return
			}
		case <-timer:
			t.Fatal("no ScanFinished after the adapter went off")
		}
	}
}

func TestClosedManager(t *testing.T) {
	noLeaks(t)
	standIn(t)
	ctx := ctxFor(t, 2*time.Second)
	m, err := btle.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.StartScanning(ctx); !errors.Is(err, comm.ErrClosed) {
		t.Fatalf("StartScanning after Close: %v", err)
	}
	if _, ok := <-m.Events(); ok {
		t.Fatal("events open after Close")
	}
}

// bluetoothd dying takes its objects without a signal for each: every link
// ends, and so does the scan.
func TestBlueZCrash(t *testing.T) {
	noLeaks(t)
	z, _, m, hw := connectedToy(t, "C0:11:22:33:44:70", &recorder{})
	z.Crash()
	select {
	case _, ok := <-hw.Notifications():
		if ok {
			t.Fatal("a notification instead of the end")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the crash was not noticed")
	}
	if err := hw.Write(ctxFor(t, time.Second), comm.EndpointTx, []byte{1}, false); !errors.Is(err, comm.ErrDisconnected) {
		t.Fatalf("write after the crash: %v, want ErrDisconnected", err)
	}
	timer := time.After(5 * time.Second)
	for {
		select {
		case e := <-m.Events():
			if e.Kind == comm.ScanFinished {
				return
			}
		case <-timer:
			t.Fatal("the scan did not end with bluetoothd")
		}
	}
}
