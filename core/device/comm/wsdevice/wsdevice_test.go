package wsdevice_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/comm/wsdevice/wsdevicetest"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// userConfig makes "LVSDevice" websocket devices Lovense toys, and
// "NoImpl" devices of a protocol name no implementation has.
const userConfig = `{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}`

func testDB(t testing.TB) *config.DB {
	t.Helper()
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: []byte(userConfig)})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newManager(t testing.TB, opts ...wsdevice.Option) *wsdevice.Manager {
	t.Helper()
	m, err := wsdevice.New(testDB(t), "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func url(m *wsdevice.Manager) string { return "ws://" + m.Addr().String() }

// waitEvent returns the next device event of kind k.
func waitEvent(t *testing.T, ctx context.Context, dm *device.Manager, k device.EventKind) device.Event {
	t.Helper()
	for {
		select {
		case e := <-dm.Events():
			if e.Kind == k {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no %v event", k)
		}
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A websocket Lovense device identifies, is recognised from the user
// configuration, answers DeviceType; through the notifications of its
// binary messages, takes its commands as binary messages, and leaves:
// the device layer removes it.
func TestDeviceConnectsIsDrivenAndLeaves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := newManager(t)
	dm := device.NewManager(testDB(t), []comm.Manager{ws})
	defer dm.Close()

	dev := wsdevicetest.Dial(t, ctx, url(ws), wsdevice.Identify{Identifier: "LVSDevice", Address: "A1B2C3"}, "lovense", "Z")
	added := waitEvent(t, ctx, dm, device.DeviceAdded)
	if got := added.Device.Info().DeviceName; got != "Lovense Hush" {
		t.Fatalf("device %q, want Lovense Hush", got)
	}
	if err := added.Device.Stop(ctx, nil, false, true); err != nil {
		t.Fatal(err)
	}
	got, err := dev.WaitFor(ctx, "Vibrate:0;")
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "DeviceType;" {
		t.Fatalf("first message %q, want DeviceType;", got[0])
	}
	battery := batteryFeature(t, added.Device.Info())
	b, err := added.Device.Input(ctx, battery, protocol.InputBattery, protocol.InputCommandRead)
	if err != nil || b != 80 {
		t.Fatalf("battery %d, %v; want the device's 80", b, err)
	}

	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, ctx, dm, device.DeviceRemoved); e.Index != added.Index {
		t.Fatalf("removed %d, want %d", e.Index, added.Index)
	}
	if len(dm.Devices()) != 0 {
		t.Fatalf("devices left: %v", dm.Devices())
	}
}

// A device that drops without a close frame, or stops answering pings, is
// removed too.
func TestDeviceGoneWithoutClosing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		leave func(*wsdevicetest.Device)
	}{
		{"connection dropped", (*wsdevicetest.Device).Drop},
		{"pings unanswered", (*wsdevicetest.Device).Deafen},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ws := newManager(t, wsdevice.WithPingInterval(100*time.Millisecond))
			dm := device.NewManager(testDB(t), []comm.Manager{ws})
			defer dm.Close()
			dev := wsdevicetest.Dial(t, ctx, url(ws), wsdevice.Identify{Identifier: "LVSDevice", Address: "A1"}, "lovense", "Z")
			waitEvent(t, ctx, dm, device.DeviceAdded)
			tt.leave(dev)
			waitEvent(t, ctx, dm, device.DeviceRemoved)
		})
	}
}

func batteryFeature(t *testing.T, info protocol.DeviceInfo) uint32 {
	t.Helper()
	for i, f := range info.DeviceFeatures {
		if _, ok := f.Input[protocol.InputBattery]; ok {
			return i
		}
	}
	t.Fatalf("%s has no battery", info.DeviceName)
	return 0
}

func dialRaw(t *testing.T, ctx context.Context, m *wsdevice.Manager) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.DialContext(ctx, url(m), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closeOf reads until the server closes c and returns its close frame.
func closeOf(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce
	}
}

// Connections that do not identify properly are closed with a close frame
// saying why.
func TestBadIdentifyClosedWithReason(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := newManager(t, wsdevice.WithIdentifyTimeout(200*time.Millisecond), wsdevice.WithClaimTimeout(200*time.Millisecond))
	for _, tt := range []struct {
		name  string
		send  func(*websocket.Conn) error
		code  int
		match string
	}{
		{"no identify frame", nil, websocket.ClosePolicyViolation, "no identify frame within 200ms"},
		{"malformed JSON", text(`{"identifier": "LVSDevice", "address": `), websocket.CloseInvalidFramePayloadData, "invalid identify frame"},
		{"not an object", text(`["LVSDevice"]`), websocket.CloseInvalidFramePayloadData, "invalid identify frame"},
		{"no identifier", text(`{"address":"A1","version":0}`), websocket.CloseInvalidFramePayloadData, "no identifier"},
		{"binary first", func(c *websocket.Conn) error {
			return c.WriteMessage(websocket.BinaryMessage, []byte(`{"identifier":"LVSDevice","address":"A1","version":0}`))
		}, websocket.CloseUnsupportedData, "identify frame, as text"},
		{"unknown identifier", text(`{"identifier":"NoSuchToy","address":"A1","version":0}`), websocket.ClosePolicyViolation, `identifier "NoSuchToy": no protocol claims it`},
		// Nothing reads the manager's events here, so nothing connects a
		// device that matched.
		{"not taken", text(`{"identifier":"LVSDevice","address":"A1","version":0}`), websocket.ClosePolicyViolation, "no protocol took the device"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, ctx, ws)
			if tt.send != nil {
				if err := tt.send(c); err != nil {
					t.Fatal(err)
				}
			}
			ce := closeOf(t, c)
			if ce.Code != tt.code || !strings.Contains(ce.Text, tt.match) {
				t.Fatalf("closed with %d %q, want %d and a reason containing %q", ce.Code, ce.Text, tt.code, tt.match)
			}
		})
	}
}

func text(s string) func(*websocket.Conn) error {
	return func(c *websocket.Conn) error { return c.WriteMessage(websocket.TextMessage, []byte(s)) }
}

// A second device with the address of a connected one is refused; the
// first stays.
func TestDuplicateAddressRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := newManager(t)
	dm := device.NewManager(testDB(t), []comm.Manager{ws})
	defer dm.Close()
	id := wsdevice.Identify{Identifier: "LVSDevice", Address: "SAME"}
	first := wsdevicetest.Dial(t, ctx, url(ws), id, "lovense", "Z")
	waitEvent(t, ctx, dm, device.DeviceAdded)
	c := dialRaw(t, ctx, ws)
	if err := text(`{"identifier":"LVSDevice","address":"SAME","version":0}`)(c); err != nil {
		t.Fatal(err)
	}
	if ce := closeOf(t, c); ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, `"SAME" is connected already`) {
		t.Fatalf("closed with %d %q", ce.Code, ce.Text)
	}
	select {
	case <-first.Done():
		t.Fatalf("the first device was closed: %v", first.Err())
	default:
	}
	if n := len(dm.Devices()); n != 1 {
		t.Fatalf("%d devices, want 1", n)
	}
}

// Closing the manager closes every device with a close frame, those not
// identified yet with a going-away one.
func TestCloseSaysGoingAway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := wsdevice.New(testDB(t), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dm := device.NewManager(testDB(t), []comm.Manager{ws})
	dev := wsdevicetest.Dial(t, ctx, url(ws), wsdevice.Identify{Identifier: "LVSDevice", Address: "A1"}, "lovense", "Z")
	idle := dialRaw(t, ctx, ws) // not identified yet
	waitEvent(t, ctx, dm, device.DeviceAdded)
	if err := dm.Close(); err != nil {
		t.Fatal(err)
	}
	<-dev.Done()
	// The device manager disconnects its devices while it closes the
	// backends: whichever comes first says so.
	var ce *websocket.CloseError
	if !errors.As(dev.Err(), &ce) || (ce.Code != websocket.CloseNormalClosure && ce.Code != websocket.CloseGoingAway) || ce.Text == "" {
		t.Fatalf("device connection ended with %v, want a normal or going-away close with a reason", dev.Err())
	}
	if ce := closeOf(t, idle); ce.Code != websocket.CloseGoingAway {
		t.Fatalf("unidentified connection closed with %d %q", ce.Code, ce.Text)
	}
	if _, _, err := websocket.DefaultDialer.DialContext(ctx, url(ws), nil); err == nil {
		t.Fatal("the closed server still accepts devices")
	}
}

// The address in use is a clear error.
func TestAddressInUse(t *testing.T) {
	ws := newManager(t)
	_, err := wsdevice.New(testDB(t), ws.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "device websocket server") || !strings.Contains(err.Error(), ws.Addr().String()) {
		t.Fatalf("error %v, want one naming the server and the address", err)
	}
}

// Devices connecting and leaving again and again leave no goroutine (see
// TestMain) and no memory behind.
func TestManyDevicesComeAndGo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ws := newManager(t)
	dm := device.NewManager(testDB(t), []comm.Manager{ws})
	defer dm.Close()
	cycle := func(i int) {
		dev, err := wsdevicetest.Connect(ctx, url(ws), wsdevice.Identify{Identifier: "LVSDevice", Address: fmt.Sprint("dev-", i)}, "lovense", "Z")
		if err != nil {
			t.Fatal(err)
		}
		waitEvent(t, ctx, dm, device.DeviceAdded)
		if i%2 == 0 {
			_ = dev.Close()
		} else {
			dev.Drop()
		}
		waitEvent(t, ctx, dm, device.DeviceRemoved)
	}
	for i := range 10 { // warm up: buffers, pools
		cycle(i)
	}
	before := heap()
	goroutines := runtime.NumGoroutine()
	const n = 100
	for i := range n {
		cycle(10 + i)
	}
	after := heap()
	t.Logf("heap in use %d -> %d bytes after %d devices; goroutines %d -> %d", before, after, n, goroutines, runtime.NumGoroutine())
	if grow := int64(after) - int64(before); grow > 1<<20 {
		t.Fatalf("heap grew by %d bytes over %d devices", grow, n)
	}
	if len(dm.Devices()) != 0 {
		t.Fatalf("devices left: %v", dm.Devices())
	}
}

func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
