//go:build linux || darwin

package serial_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/serial"
	"github.com/bphost/bphost/core/device/comm/serial/serialtest"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// noLeaks checks, after every other cleanup of the test, that nothing the
// test started still runs.
func noLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// userConfig names ports for protocols: protocol → port.
func userConfig(t *testing.T, ports map[string]string) *config.DB {
	t.Helper()
	var parts []string
	for proto, port := range ports {
		parts = append(parts, fmt.Sprintf(`%q:{"communication":[{"serial":{"port":%q}}]}`, proto, port))
	}
	u := `{"version":{"major":4,"minor":0},"user_configs":{"protocols":{` + strings.Join(parts, ",") + `}}}`
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: []byte(u)})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// logBuffer collects log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newManager(t *testing.T, db *config.DB, log *logBuffer) *serial.Manager {
	t.Helper()
	var opts []serial.Option
	if log != nil {
		opts = append(opts, serial.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
	}
	m, err := serial.New(db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// scan runs one scan and returns the devices found, by port.
func scan(t *testing.T, m *serial.Manager) map[string]comm.FoundDevice {
	t.Helper()
	if err := m.StartScanning(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	out := map[string]comm.FoundDevice{}
	timeout := time.After(3 * time.Second)
	for {
		select {
		case e := <-m.Events():
			switch e.Kind {
			case comm.DeviceFound:
				adv := e.Device.Advertisement()
				if _, dup := out[adv.Port]; dup {
					t.Fatalf("%s reported twice", adv.Port)
				}
				out[adv.Port] = e.Device
			case comm.ScanFinished:
				return out
			}
		case <-timeout:
			t.Fatal("scan did not finish")
		}
	}
}

// deviceEvent waits for the next device-manager event of kind k (0: any).
func deviceEvent(t *testing.T, m *device.Manager, k device.EventKind) device.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-m.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", k)
			}
			if e.Kind == k || k == 0 {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event", k)
		}
	}
}

// A TCode stroker on a port the user configuration names: found, connected
// as tcode-v03, its moves arrive byte-exact, and unplugging it removes it.
func TestTCodeThroughDeviceManager(t *testing.T) {
	noLeaks(t)
	dev := serialtest.New(t, true)
	db := userConfig(t, map[string]string{"tcode-v03": dev.Path})
	sm := newManager(t, db, nil)
	dm := device.NewManager(db, []comm.Manager{sm})
	t.Cleanup(func() { _ = dm.Close() })
	ctx := ctxT(t)

	if err := dm.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	// The scan finishes while the device connects: either may come first.
	var d *device.Device
	for finished := false; d == nil || !finished; {
		e := deviceEvent(t, dm, 0)
		switch e.Kind {
		case device.DeviceAdded:
			d = e.Device
		case device.ScanningFinished:
			finished = true
		}
	}
	if d.Protocol() != "tcode-v03" || d.Address() != dev.Path || d.Name() != "TCode v0.3 (Single Linear Axis)" {
		t.Fatalf("device %q protocol %q at %q", d.Name(), d.Protocol(), d.Address())
	}

	if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputHwPositionWithDuration, Value: 500, Duration: 1000}); err != nil {
		t.Fatal(err)
	}
	dev.Expect([]byte("L0500I1000\n"))
	if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputPosition, Value: 250}); err != nil {
		t.Fatal(err)
	}
	dev.Expect([]byte("L0250\nR0250\n"))

	// A port in use is not reported again.
	if err := dm.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	deviceEvent(t, dm, device.ScanningFinished)

	dev.Unplug()
	if e := deviceEvent(t, dm, device.DeviceRemoved); e.Index != d.Index() {
		t.Fatalf("removed device %d, want %d", e.Index, d.Index())
	}
	if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputPosition, Value: 10}); !errors.Is(err, device.ErrDisconnected) {
		t.Fatalf("output after unplug: %v", err)
	}
}

// The other serial protocols take their first output byte-exact.
func TestSerialProtocolsThroughDeviceManager(t *testing.T) {
	cases := []struct {
		protocol string
		feature  uint32
		cmd      protocol.OutputCommand
		want     []byte // after what the protocol sends at connect
		init     []byte
	}{
		{"nobra", 0, protocol.OutputCommand{Type: protocol.OutputVibrate, Value: 5}, []byte{0x65}, []byte{0x70}},
		{"nextlevelracing", 1, protocol.OutputCommand{Type: protocol.OutputVibrate, Value: 7}, []byte("M17\r"), nil},
		{"kizuna", 0, protocol.OutputCommand{Type: protocol.OutputRotate, Value: 4}, []byte("4\r\n"), nil},
	}
	for _, c := range cases {
		t.Run(c.protocol, func(t *testing.T) {
			noLeaks(t)
			dev := serialtest.New(t, true)
			db := userConfig(t, map[string]string{c.protocol: dev.Path})
			dm := device.NewManager(db, []comm.Manager{newManager(t, db, nil)})
			t.Cleanup(func() { _ = dm.Close() })
			ctx := ctxT(t)
			if err := dm.StartScanning(ctx); err != nil {
				t.Fatal(err)
			}
			d := deviceEvent(t, dm, device.DeviceAdded).Device
			if d.Protocol() != c.protocol {
				t.Fatalf("protocol %q", d.Protocol())
			}
			if c.init != nil {
				dev.Expect(c.init)
			}
			if err := d.Output(ctx, c.feature, c.cmd); err != nil {
				t.Fatal(err)
			}
			dev.Expect(c.want)
		})
	}
}

// A configured port that does not exist is logged by name and skipped; the
// scan reports the others and finishes.
func TestAbsentPortSkipped(t *testing.T) {
	noLeaks(t)
	dev := serialtest.New(t, true)
	absent := filepath.Join(t.TempDir(), "ttyUSB9")
	db := userConfig(t, map[string]string{"tcode-v03": absent, "nobra": dev.Path})
	var log logBuffer
	m := newManager(t, db, &log)

	found := scan(t, m)
	if len(found) != 1 || found[dev.Path] == nil {
		t.Fatalf("found %v, want only %s", found, dev.Path)
	}
	adv := found[dev.Path].Advertisement()
	want := comm.Advertisement{Bus: comm.BusSerial, Name: "Nobra's Silicone Dreams Toy", Address: dev.Path, Port: dev.Path}
	if adv.String() != want.String() || adv.Port != want.Port {
		t.Fatalf("advertisement %v, want %v", adv, want)
	}
	if !strings.Contains(log.String(), absent) {
		t.Fatalf("log does not name %s:\n%s", absent, log.String())
	}
	if ms := db.Match(adv); len(ms) == 0 || ms[0].Protocol != "nobra" {
		t.Fatalf("matches %v", ms)
	}
}

// Ports that cannot be opened fail Connect with one line naming the port
// and what to do.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-tty")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vanished := filepath.Join(dir, "vanished")
	cases := []struct {
		name  string
		port  func(t *testing.T) string
		after func(t *testing.T, port string) // between scan and connect
		want  error
		words string
	}{
		{"permission denied", func(t *testing.T) string {
			d := serialtest.New(t, true)
			if err := os.Chmod(d.Path, 0); err != nil {
				t.Skipf("chmod %s: %v", d.Path, err)
			}
			return d.Path
		}, nil, serial.ErrPermission, "dialout group"},
		{"directory", func(*testing.T) string { return dir }, nil, serial.ErrNotSerial, "fix the port"},
		{"regular file", func(*testing.T) string { return file }, nil, serial.ErrNotSerial, "fix the port"},
		{"gone after the scan", func(t *testing.T) string {
			if err := os.WriteFile(vanished, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return vanished
		}, func(t *testing.T, port string) { _ = os.Remove(port) }, serial.ErrNotFound, "plug the device in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			noLeaks(t)
			port := c.port(t)
			db := userConfig(t, map[string]string{"tcode-v03": port})
			m := newManager(t, db, nil)
			fd := scan(t, m)[port]
			if fd == nil {
				t.Fatalf("%s not found", port)
			}
			if c.after != nil {
				c.after(t, port)
			}
			hw, err := fd.Connect(ctxT(t), config.Specifier{Serial: &config.SerialSpecifier{}}.Services())
			if err == nil {
				_ = hw.Disconnect()
				if c.want == serial.ErrPermission {
					// Root opens a mode-000 port; the directory and file
					// cases still check an open that fails.
					t.Skipf("opened mode-000 %s (running as uid %d)", port, os.Getuid())
				}
				t.Fatalf("connected to %s", port)
			}
			msg := err.Error()
			if !errors.Is(err, c.want) || !strings.Contains(msg, port) || !strings.Contains(msg, c.words) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q, want %v naming %s and %q", msg, c.want, port, c.words)
			}
		})
	}
}

// connect scans m and connects to port with tx and rx.
func connect(t *testing.T, m *serial.Manager, port string) comm.Hardware {
	t.Helper()
	fd := scan(t, m)[port]
	if fd == nil {
		t.Fatalf("%s not found", port)
	}
	hw, err := fd.Connect(ctxT(t), config.Specifier{Serial: &config.SerialSpecifier{}}.Services())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hw.Disconnect() })
	return hw
}

func TestHardware(t *testing.T) {
	noLeaks(t)
	dev := serialtest.New(t, true)
	m := newManager(t, userConfig(t, map[string]string{"tcode-v03": dev.Path}), nil)
	hw := connect(t, m, dev.Path)
	ctx := ctxT(t)

	if got := hw.Endpoints(); len(got) != 2 || got[0] != comm.EndpointRx || got[1] != comm.EndpointTx {
		t.Fatalf("endpoints %v", got)
	}
	if hw.Address() != dev.Path || hw.Name() != "TCode v0.3 (Single Linear Axis)" {
		t.Fatalf("hardware %q at %q", hw.Name(), hw.Address())
	}
	// Connected: a second open of the port is refused, and scans skip it.
	if found := scan(t, m); len(found) != 0 {
		t.Fatalf("connected port reported again: %v", found)
	}

	// tx: every byte value passes unchanged (raw mode).
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if err := hw.Write(ctx, comm.EndpointTx, all, true); err != nil {
		t.Fatal(err)
	}
	dev.Expect(all)

	// rx unsubscribed: Read returns what arrived, at most length.
	dev.Send("hello")
	var got []byte
	for len(got) < 5 {
		b, err := hw.Read(ctx, comm.EndpointRx, 5-len(got))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b...)
	}
	if string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
	// Nothing there: Read waits until its deadline.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	start := time.Now()
	_, err := hw.Read(short, comm.EndpointRx, 0)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("read of nothing: %v after %v", err, time.Since(start))
	}

	// rx subscribed: notifications, in order.
	if err := hw.Subscribe(ctx, comm.EndpointRx); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := range 50 {
		line := fmt.Sprintf("D%d\n", i)
		want.WriteString(line)
		dev.Send(line)
	}
	var notes strings.Builder
	timeout := time.After(3 * time.Second)
	for notes.Len() < want.Len() {
		select {
		case n := <-hw.Notifications():
			if n.Endpoint != comm.EndpointRx {
				t.Fatalf("notification on %s", n.Endpoint)
			}
			notes.Write(n.Data)
		case <-timeout:
			t.Fatalf("notified %q", notes.String())
		}
	}
	if notes.String() != want.String() {
		t.Fatalf("notified %q, want %q", notes.String(), want.String())
	}

	for _, c := range []struct {
		name string
		err  error
	}{
		{"write rx", hw.Write(ctx, comm.EndpointRx, []byte{1}, false)},
		{"write command", hw.Write(ctx, comm.EndpointCommand, []byte{1}, false)},
		{"subscribe tx", hw.Subscribe(ctx, comm.EndpointTx)},
		{"read tx", func() error { _, err := hw.Read(ctx, comm.EndpointTx, 0); return err }()},
	} {
		if !errors.Is(c.err, comm.ErrUnknownEndpoint) {
			t.Errorf("%s: %v, want ErrUnknownEndpoint", c.name, c.err)
		}
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
	if err := hw.Write(ctx, comm.EndpointTx, []byte{1}, false); !errors.Is(err, comm.ErrDisconnected) {
		t.Fatalf("write after Disconnect: %v", err)
	}
	if _, err := hw.Read(ctx, comm.EndpointRx, 0); !errors.Is(err, comm.ErrDisconnected) {
		t.Fatalf("read after Disconnect: %v", err)
	}
	// Closed: the port is free again.
	if found := scan(t, m); found[dev.Path] == nil {
		t.Fatalf("%s not reported after Disconnect", dev.Path)
	}
}

// Unplugging ends the hardware: Notifications closes, calls fail with
// ErrDisconnected naming the port.
func TestUnplug(t *testing.T) {
	for _, subscribed := range []bool{true, false} {
		t.Run(fmt.Sprintf("subscribed=%v", subscribed), func(t *testing.T) {
			noLeaks(t)
			dev := serialtest.New(t, true)
			m := newManager(t, userConfig(t, map[string]string{"tcode-v03": dev.Path}), nil)
			hw := connect(t, m, dev.Path)
			ctx := ctxT(t)
			if subscribed {
				if err := hw.Subscribe(ctx, comm.EndpointRx); err != nil {
					t.Fatal(err)
				}
			}
			dev.Unplug()
			select {
			case _, ok := <-hw.Notifications():
				if ok {
					t.Fatal("notification after unplug")
				}
			case <-time.After(3 * time.Second):
				t.Fatal("notifications still open after unplug")
			}
			err := hw.Write(ctx, comm.EndpointTx, []byte("L0500\n"), false)
			if !errors.Is(err, comm.ErrDisconnected) || !strings.Contains(err.Error(), dev.Path) {
				t.Fatalf("write after unplug: %v", err)
			}
			if err := hw.Disconnect(); err != nil {
				t.Fatalf("Disconnect after unplug: %v", err)
			}
		})
	}
}

// A device that takes nothing: Write returns at its deadline, Disconnect
// does not hang on the stuck write, and unplugging releases it.
func TestStuckWriteHonoursDeadline(t *testing.T) {
	noLeaks(t)
	dev := serialtest.New(t, false)
	m := newManager(t, userConfig(t, map[string]string{"tcode-v03": dev.Path}), nil)
	hw := connect(t, m, dev.Path)

	chunk := make([]byte, 4096)
	deadline := 200 * time.Millisecond
	var err error
	start := time.Now()
	for i := 0; i < 1000 && err == nil; i++ { // the pty buffer fills after a few KiB
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start = time.Now()
		err = hw.Write(ctx, comm.EndpointTx, chunk, false)
		cancel()
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > deadline+time.Second {
		t.Fatalf("write to a stuck device: %v after %v", err, time.Since(start))
	}
	start = time.Now()
	derr := hw.Disconnect()
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Disconnect took %v", time.Since(start))
	}
	if derr == nil || !strings.Contains(derr.Error(), dev.Path) {
		t.Fatalf("Disconnect with a write pending: %v", derr)
	}
	if _, ok := <-hw.Notifications(); ok {
		t.Fatal("notifications open after Disconnect")
	}
	dev.Unplug() // lets the write end; noLeaks checks the writer then exits
}
