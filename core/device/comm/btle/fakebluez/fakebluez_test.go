package fakebluez

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	sigAdded   = ifaceObjectManager + ".InterfacesAdded"
	sigRemoved = ifaceObjectManager + ".InterfacesRemoved"
	sigChanged = ifaceProperties + ".PropertiesChanged"
	waitLimit  = 5 * time.Second
)

func startBus(t *testing.T, opts ...BusOption) *Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	b, err := StartBus(ctx, opts...)
	if errors.Is(err, ErrNoDaemon) {
		t.Skipf("%v: install the dbus package (dbus-daemon) to run these tests", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// harness is a private bus with a BlueZ on it and a raw client, as a BLE
// central sees BlueZ.
type harness struct {
	t      *testing.T
	bus    *Bus
	z      *BlueZ
	client *client
}

type client struct {
	t    *testing.T
	conn *dbus.Conn
	sigs chan *dbus.Signal
}

func newHarness(t *testing.T, busOpts []BusOption, opts ...Option) *harness {
	t.Helper()
	// Registered first, so it runs after every other cleanup.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	b := startBus(t, busOpts...)
	z, err := New(b.Address(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := z.Close(); err != nil {
			t.Error(err)
		}
	})
	h := &harness{t: t, bus: b, z: z}
	h.client = h.connect()
	return h
}

// connect opens a client connection that receives org.bluez's signals in
// order.
func (h *harness) connect() *client {
	h.t.Helper()
	conn, err := dbus.Connect(h.bus.Address(), dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = conn.Close() })
	c := &client{t: h.t, conn: conn, sigs: make(chan *dbus.Signal, 4096)}
	conn.Signal(c.sigs)
	if err := conn.AddMatchSignal(dbus.WithMatchSender(busName)); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (c *client) call(path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	return c.conn.Object(busName, path).CallWithContext(ctx, method, 0, args...)
}

func (c *client) mustCall(path dbus.ObjectPath, method string, args ...any) []any {
	c.t.Helper()
	call := c.call(path, method, args...)
	if call.Err != nil {
		c.t.Fatalf("%s on %s: %v", method, path, call.Err)
	}
	return call.Body
}

// next returns the next signal called name on path, skipping others.
func (c *client) next(name string, path dbus.ObjectPath) *dbus.Signal {
	c.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case s := <-c.sigs:
			if s.Name == name && s.Path == path {
				return s
			}
		case <-timeout:
			c.t.Fatalf("no %s on %s", name, path)
		}
	}
}

// changes returns the next PropertiesChanged of iface on path.
func (c *client) changes(path dbus.ObjectPath, iface string) map[string]any {
	c.t.Helper()
	for {
		s := c.next(sigChanged, path)
		if s.Body[0].(string) == iface {
			return plain(s.Body[1].(map[string]dbus.Variant))
		}
	}
}

// added returns the next InterfacesAdded.
func (c *client) added() (dbus.ObjectPath, map[string]map[string]dbus.Variant) {
	c.t.Helper()
	s := c.next(sigAdded, "/")
	return s.Body[0].(dbus.ObjectPath), s.Body[1].(map[string]map[string]dbus.Variant)
}

func (c *client) removed() (dbus.ObjectPath, []string) {
	c.t.Helper()
	s := c.next(sigRemoved, "/")
	return s.Body[0].(dbus.ObjectPath), s.Body[1].([]string)
}

func (c *client) objects() map[dbus.ObjectPath]map[string]map[string]dbus.Variant {
	c.t.Helper()
	var out map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	if err := c.call("/", ifaceObjectManager+".GetManagedObjects").Store(&out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// plain unwraps variants so properties compare with reflect.DeepEqual.
func plain(m map[string]dbus.Variant) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = unwrap(v.Value())
	}
	return out
}

func unwrap(v any) any {
	switch x := v.(type) {
	case dbus.Variant:
		return unwrap(x.Value())
	case map[uint16]dbus.Variant:
		out := map[uint16]any{}
		for k, e := range x {
			out[k] = unwrap(e.Value())
		}
		return out
	}
	return v
}

func errName(err error) string {
	var e dbus.Error
	if errors.As(err, &e) {
		return e.Name
	}
	var pe *dbus.Error
	if errors.As(err, &pe) {
		return pe.Name
	}
	return fmt.Sprintf("not a D-Bus error: %v", err)
}

func wantErr(t *testing.T, err error, name, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", name)
	}
	if got := errName(err); got != name {
		t.Fatalf("error %v is %s, want %s", err, got, name)
	}
	if text != "" && !strings.Contains(err.Error(), text) {
		t.Fatalf("error %q does not say %q", err, text)
	}
}

// recorder is a Handler that records what it receives.
type recorder struct {
	mu   sync.Mutex
	ops  []string
	read []byte
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.ops = append(r.ops, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) Write(char string, data []byte, withResponse bool) error {
	r.add("write %s %q %v", char[:8], data, withResponse)
	return nil
}

func (r *recorder) Read(char string) ([]byte, error) {
	r.add("read %s", char[:8])
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read, nil
}

func (r *recorder) StartNotify(char string) error { r.add("start %s", char[:8]); return nil }
func (r *recorder) StopNotify(char string) error  { r.add("stop %s", char[:8]); return nil }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.ops
	r.ops = nil
	return out
}

const (
	svcA  = "0000fff0-0000-1000-8000-00805f9b34fb"
	chrRX = "0000fff1-0000-1000-8000-00805f9b34fb"
	chrTX = "0000fff2-0000-1000-8000-00805f9b34fb"
	svcB  = "0000180f-0000-1000-8000-00805f9b34fb"
	chrCm = "0000fff3-0000-1000-8000-00805f9b34fb"
	chrBt = "00002a19-0000-1000-8000-00805f9b34fb"
)

func toy(h Handler) Peripheral {
	return Peripheral{
		Name:             "Toy",
		Address:          "aa:bb:cc:dd:ee:01",
		AddressType:      "random",
		RSSI:             -50,
		ManufacturerData: map[uint16][]byte{0x1234: {1, 2}},
		UUIDs:            []string{svcA},
		Services: map[string][]Characteristic{
			svcA: {
				{UUID: chrTX, Flags: []string{"write", "write-without-response"}},
				{UUID: chrCm, Flags: []string{"write-without-response"}},
				{UUID: chrRX, Flags: []string{"read", "notify"}},
			},
			svcB: {{UUID: chrBt}},
		},
		Handler: h,
	}
}

// connected adds toy, discovers and connects it.
func (h *harness) connected(rec *recorder) *Device {
	h.t.Helper()
	d, err := h.z.Add(toy(rec))
	if err != nil {
		h.t.Fatal(err)
	}
	h.client.mustCall(h.z.AdapterPath(), ifaceAdapter+".StartDiscovery")
	h.client.mustCall(d.Path(), ifaceDevice+".Connect")
	return d
}

func TestAdapter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []Option
		path    dbus.ObjectPath
		powered bool
	}{
		{"default", nil, "/org/bluez/hci0", true},
		{"other id", []Option{WithAdapter("hci1")}, "/org/bluez/hci1", true},
		{"powered off", []Option{WithPoweredOff()}, "/org/bluez/hci0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, tc.opts...)
			if h.z.AdapterPath() != tc.path {
				t.Fatalf("adapter path %s, want %s", h.z.AdapterPath(), tc.path)
			}
			objs := h.client.objects()
			if len(objs) != 1 {
				t.Fatalf("managed objects %v, want the adapter only", objs)
			}
			a := plain(objs[tc.path][ifaceAdapter])
			if a["Address"] != "00:1A:7D:DA:71:13" || a["AddressType"] != "public" || a["Powered"] != tc.powered || a["Discovering"] != false || a["Alias"] != adapterName {
				t.Fatalf("adapter properties %v", a)
			}
			if _, ok := objs[tc.path][ifaceProperties]; !ok {
				t.Fatalf("adapter lacks %s in %v", ifaceProperties, objs[tc.path])
			}
			var v dbus.Variant
			if err := h.client.call(tc.path, ifaceProperties+".Get", ifaceAdapter, "Powered").Store(&v); err != nil || v.Value() != tc.powered {
				t.Fatalf("Get Powered = %v, %v", v, err)
			}
			err := h.client.call(tc.path, ifaceAdapter+".StartDiscovery").Err
			if !tc.powered {
				wantErr(t, err, "org.bluez.Error.NotReady", "")
				h.client.mustCall(tc.path, ifaceProperties+".Set", ifaceAdapter, "Powered", dbus.MakeVariant(true))
				if c := h.client.changes(tc.path, ifaceAdapter); c["Powered"] != true {
					t.Fatalf("after Set Powered: %v", c)
				}
				h.client.mustCall(tc.path, ifaceAdapter+".StartDiscovery")
			} else if err != nil {
				t.Fatal(err)
			}
			if c := h.client.changes(tc.path, ifaceAdapter); c["Discovering"] != true {
				t.Fatalf("after StartDiscovery: %v", c)
			}
			// Powering off ends discovery first.
			h.z.SetPowered(false)
			if c := h.client.changes(tc.path, ifaceAdapter); c["Discovering"] != false {
				t.Fatalf("after power off: %v", c)
			}
			if c := h.client.changes(tc.path, ifaceAdapter); c["Powered"] != false || c["PowerState"] != "off" {
				t.Fatalf("after power off: %v", c)
			}
			if h.z.Discovering() {
				t.Fatal("still discovering when powered off")
			}
			wantErr(t, h.client.call(tc.path, ifaceProperties+".Set", ifaceAdapter, "Address", dbus.MakeVariant("x")).Err, "org.freedesktop.DBus.Error.PropertyReadOnly", "")
			wantErr(t, h.client.call(tc.path, ifaceProperties+".Get", ifaceAdapter, "Nope").Err, "org.freedesktop.DBus.Error.InvalidArgs", "No such property")
			wantErr(t, h.client.call(tc.path, ifaceAdapter+".SetDiscoveryFilter").Err, "org.freedesktop.DBus.Error.InvalidArgs", "")
			wantErr(t, h.client.call(tc.path, ifaceAdapter+".Nope").Err, "org.freedesktop.DBus.Error.UnknownMethod", "")
		})
	}
}

func TestIntrospect(t *testing.T) {
	h := newHarness(t, nil)
	h.connected(&recorder{})
	for _, tc := range []struct {
		path     dbus.ObjectPath
		iface    string
		children []string
	}{
		{"/", ifaceObjectManager, []string{"org"}},
		{"/org/bluez", ifaceIntrospectable, []string{"hci0"}},
		{"/org/bluez/hci0", ifaceAdapter, []string{"dev_AA_BB_CC_DD_EE_01"}},
		{"/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01", ifaceDevice, []string{"service0001", "service0003"}},
		{"/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01/service0003/char0004", ifaceChar, nil},
	} {
		var s string
		if err := h.client.call(tc.path, ifaceIntrospectable+".Introspect").Store(&s); err != nil {
			t.Fatalf("Introspect %s: %v", tc.path, err)
		}
		var n introspect.Node
		if err := xml.Unmarshal([]byte(s), &n); err != nil {
			t.Fatalf("Introspect %s: %v\n%s", tc.path, err, s)
		}
		var children []string
		for _, c := range n.Children {
			children = append(children, c.Name)
		}
		if !reflect.DeepEqual(children, tc.children) {
			t.Errorf("%s has children %v, want %v", tc.path, children, tc.children)
		}
		if !slices.ContainsFunc(n.Interfaces, func(i introspect.Interface) bool { return i.Name == tc.iface }) {
			t.Errorf("%s does not list %s:\n%s", tc.path, tc.iface, s)
		}
	}
}

func TestDiscovery(t *testing.T) {
	h := newHarness(t, nil)
	full, err := h.z.Add(toy(nil))
	if err != nil {
		t.Fatal(err)
	}
	bare, err := h.z.Add(Peripheral{RSSI: -70})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.z.Add(Peripheral{Address: "AA:BB:CC:DD:EE:01"}); err == nil {
		t.Fatal("a second peripheral with the same address was added")
	}
	if len(h.client.objects()) != 1 {
		t.Fatal("devices visible before discovery")
	}
	adapterPath := h.z.AdapterPath()
	h.client.mustCall(adapterPath, ifaceAdapter+".SetDiscoveryFilter", map[string]any{"Transport": "le"})
	wantErr(t, h.client.call(adapterPath, ifaceAdapter+".SetDiscoveryFilter", map[string]any{"Transport": "radio"}).Err, "org.bluez.Error.InvalidArguments", "")
	h.client.mustCall(adapterPath, ifaceAdapter+".StartDiscovery")
	if c := h.client.changes(adapterPath, ifaceAdapter); c["Discovering"] != true {
		t.Fatalf("after StartDiscovery: %v", c)
	}
	common := map[string]any{
		"Connected": false, "ServicesResolved": false, "Paired": false, "Bonded": false,
		"Trusted": false, "Blocked": false, "LegacyPairing": false, "Adapter": adapterPath,
	}
	want := map[dbus.ObjectPath]map[string]any{
		"/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01": {
			"Address": "AA:BB:CC:DD:EE:01", "AddressType": "random", "Name": "Toy", "Alias": "Toy",
			"RSSI": int16(-50), "UUIDs": []string{svcA}, "ManufacturerData": map[uint16]any{0x1234: []byte{1, 2}},
		},
		bare.Path(): {"Address": bare.Address(), "AddressType": "public", "RSSI": int16(-70)},
	}
	for _, d := range []*Device{full, bare} {
		path, ifaces := h.client.added()
		if path != d.Path() {
			t.Fatalf("InterfacesAdded for %s, want %s", path, d.Path())
		}
		w := want[path]
		for k, v := range common {
			w[k] = v
		}
		if got := plain(ifaces[ifaceDevice]); !reflect.DeepEqual(got, w) {
			t.Errorf("%s properties\n got %v\nwant %v", path, got, w)
		}
		if _, ok := ifaces[ifaceProperties]; !ok {
			t.Errorf("%s lacks %s", path, ifaceProperties)
		}
	}
	if !isMAC(bare.Address()) || !strings.HasSuffix(string(bare.Path()), strings.ReplaceAll(bare.Address(), ":", "_")) {
		t.Errorf("generated address %s, path %s", bare.Address(), bare.Path())
	}
	wantErr(t, h.client.call(bare.Path(), ifaceProperties+".Get", ifaceDevice, "UUIDs").Err, "org.freedesktop.DBus.Error.InvalidArgs", "")

	// A peripheral added while discovering is seen at once.
	late, err := h.z.Add(Peripheral{Name: "Late"})
	if err != nil {
		t.Fatal(err)
	}
	if path, _ := h.client.added(); path != late.Path() {
		t.Fatalf("InterfacesAdded for %s, want %s", path, late.Path())
	}

	wantErr(t, h.client.call(adapterPath, ifaceAdapter+".StartDiscovery").Err, "org.bluez.Error.InProgress", "")
	other := h.connect()
	wantErr(t, other.call(adapterPath, ifaceAdapter+".StopDiscovery").Err, "org.bluez.Error.Failed", "No discovery started")
	h.client.mustCall(adapterPath, ifaceAdapter+".StopDiscovery")
	if c := h.client.changes(adapterPath, ifaceAdapter); c["Discovering"] != false {
		t.Fatalf("after StopDiscovery: %v", c)
	}

	// Seen again, a cached device's RSSI changes.
	h.client.mustCall(adapterPath, ifaceAdapter+".StartDiscovery")
	for _, d := range []*Device{full, bare, late} {
		c := h.client.changes(d.Path(), ifaceDevice)
		if _, ok := c["RSSI"]; !ok || len(c) != 1 {
			t.Fatalf("second discovery: %s changed %v, want RSSI", d.Path(), c)
		}
	}
	if got := plain(h.client.objects()[full.Path()][ifaceDevice])["RSSI"]; got != int16(-51) {
		t.Errorf("RSSI after the second sighting = %v, want -51", got)
	}

	// RemoveDevice takes the object away until the next discovery.
	h.client.mustCall(adapterPath, ifaceAdapter+".RemoveDevice", late.Path())
	if path, _ := h.client.removed(); path != late.Path() {
		t.Fatalf("InterfacesRemoved for %s, want %s", path, late.Path())
	}
	wantErr(t, h.client.call(adapterPath, ifaceAdapter+".RemoveDevice", late.Path()).Err, "org.bluez.Error.DoesNotExist", "")
	wantErr(t, h.client.call(late.Path(), ifaceDevice+".Connect").Err, "org.freedesktop.DBus.Error.UnknownObject", "")

	// A client leaving the bus ends its discovery.
	h.client.mustCall(adapterPath, ifaceAdapter+".StopDiscovery")
	if c := h.client.changes(adapterPath, ifaceAdapter); c["Discovering"] != false {
		t.Fatalf("after StopDiscovery: %v", c)
	}
	other.mustCall(adapterPath, ifaceAdapter+".StartDiscovery")
	if c := h.client.changes(adapterPath, ifaceAdapter); c["Discovering"] != true {
		t.Fatalf("after the other client's StartDiscovery: %v", c)
	}
	if path, _ := h.client.added(); path != late.Path() {
		t.Fatalf("InterfacesAdded for %s, want %s", path, late.Path())
	}
	_ = other.conn.Close()
	if c := h.client.changes(adapterPath, ifaceAdapter); c["Discovering"] != false {
		t.Fatalf("after the other client left: %v", c)
	}

	var filters []map[string]dbus.Variant
	for _, c := range h.z.Calls() {
		if c.Member == "SetDiscoveryFilter" {
			filters = append(filters, c.Args[0].(map[string]dbus.Variant))
		}
	}
	if len(filters) != 2 || filters[0]["Transport"].Value() != "le" {
		t.Fatalf("SetDiscoveryFilter calls %v", filters)
	}
}

func TestConnectAndGATT(t *testing.T) {
	h := newHarness(t, nil)
	rec := &recorder{read: []byte("hello")}
	d, err := h.z.Add(toy(rec))
	if err != nil {
		t.Fatal(err)
	}
	c := h.client
	c.mustCall(h.z.AdapterPath(), ifaceAdapter+".StartDiscovery")
	c.mustCall(d.Path(), ifaceDevice+".Connect")
	if !d.Connected() {
		t.Fatal("not connected after Connect")
	}

	// Connected, then the GATT objects by UUID, then ServicesResolved.
	if ch := c.changes(d.Path(), ifaceDevice); !reflect.DeepEqual(ch, map[string]any{"Connected": true}) {
		t.Fatalf("first change %v, want Connected", ch)
	}
	svcB1 := d.Path() + "/service0001"
	battery := svcB1 + "/char0002"
	svcA3 := d.Path() + "/service0003"
	rx := svcA3 + "/char0004"
	tx := svcA3 + "/char0005"
	cmd := svcA3 + "/char0006"
	for _, want := range []struct {
		path  dbus.ObjectPath
		iface string
		props map[string]any
	}{
		{svcB1, ifaceService, map[string]any{"UUID": svcB, "Primary": true, "Device": d.Path(), "Includes": []dbus.ObjectPath{}}},
		{battery, ifaceChar, map[string]any{"UUID": chrBt, "Service": svcB1, "Value": []byte{}, "Flags": defaultFlags, "Notifying": false, "MTU": uint16(247)}},
		{svcA3, ifaceService, map[string]any{"UUID": svcA, "Primary": true, "Device": d.Path(), "Includes": []dbus.ObjectPath{}}},
		{rx, ifaceChar, map[string]any{"UUID": chrRX, "Service": svcA3, "Value": []byte{}, "Flags": []string{"read", "notify"}, "Notifying": false, "MTU": uint16(247)}},
		{tx, ifaceChar, map[string]any{"UUID": chrTX, "Service": svcA3, "Value": []byte{}, "Flags": []string{"write", "write-without-response"}, "MTU": uint16(247)}},
		{cmd, ifaceChar, map[string]any{"UUID": chrCm, "Service": svcA3, "Value": []byte{}, "Flags": []string{"write-without-response"}, "MTU": uint16(247)}},
	} {
		path, ifaces := c.added()
		if path != want.path {
			t.Fatalf("InterfacesAdded for %s, want %s", path, want.path)
		}
		if got := plain(ifaces[want.iface]); !reflect.DeepEqual(got, want.props) {
			t.Errorf("%s\n got %v\nwant %v", path, got, want.props)
		}
	}
	if ch := c.changes(d.Path(), ifaceDevice); !reflect.DeepEqual(ch, map[string]any{"ServicesResolved": true}) {
		t.Fatalf("change %v, want ServicesResolved", ch)
	}
	// All of it happened before Connect answered.
	if props := plain(c.objects()[d.Path()][ifaceDevice]); props["ServicesResolved"] != true || props["Connected"] != true {
		t.Fatalf("device after Connect: %v", props)
	}
	c.mustCall(d.Path(), ifaceDevice+".Connect")

	for _, tc := range []struct {
		name  string
		path  dbus.ObjectPath
		opts  map[string]any
		want  string
		error string
	}{
		{"command", tx, map[string]any{"type": "command"}, `write 0000fff2 "ab" false`, ""},
		{"request", tx, map[string]any{"type": "request"}, `write 0000fff2 "ab" true`, ""},
		{"no type", tx, map[string]any{}, `write 0000fff2 "ab" true`, ""},
		{"no type, write without response only", cmd, map[string]any{}, `write 0000fff3 "ab" false`, ""},
		{"request, write without response only", cmd, map[string]any{"type": "request"}, "", "org.bluez.Error.NotSupported"},
		{"default flags", battery, map[string]any{"type": "command"}, `write 00002a19 "ab" false`, ""},
		{"bad type", tx, map[string]any{"type": "shout"}, "", "org.bluez.Error.InvalidArguments"},
		{"not writable", rx, map[string]any{"type": "command"}, "", "org.bluez.Error.NotSupported"},
	} {
		t.Run("write "+tc.name, func(t *testing.T) {
			err := c.call(tc.path, ifaceChar+".WriteValue", []byte("ab"), tc.opts).Err
			if tc.error != "" {
				wantErr(t, err, tc.error, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.take(); !reflect.DeepEqual(got, []string{tc.want}) {
				t.Fatalf("handler got %q, want %q", got, tc.want)
			}
		})
	}
	rec.take()

	var got []byte
	if err := c.call(rx, ifaceChar+".ReadValue", map[string]any{}).Store(&got); err != nil || string(got) != "hello" {
		t.Fatalf("ReadValue = %q, %v", got, err)
	}
	if err := c.call(rx, ifaceChar+".ReadValue", map[string]any{"offset": uint16(2)}).Store(&got); err != nil || string(got) != "llo" {
		t.Fatalf("ReadValue at offset 2 = %q, %v", got, err)
	}
	wantErr(t, c.call(tx, ifaceChar+".ReadValue", map[string]any{}).Err, "org.bluez.Error.NotPermitted", "")

	// Notifications come in order, only while notifying.
	if err := d.Notify(chrRX, []byte{1}); !errors.Is(err, ErrNotNotifying) {
		t.Fatalf("Notify before StartNotify: %v", err)
	}
	wantErr(t, c.call(tx, ifaceChar+".StartNotify").Err, "org.bluez.Error.NotSupported", "")
	c.mustCall(rx, ifaceChar+".StartNotify")
	if ch := c.changes(rx, ifaceChar); ch["Notifying"] != true {
		t.Fatalf("after StartNotify: %v", ch)
	}
	c.mustCall(rx, ifaceChar+".StartNotify")
	const n = 500
	for i := range n {
		if err := d.Notify(strings.ToUpper(chrRX), []byte{byte(i >> 8), byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		ch := c.changes(rx, ifaceChar)
		if v, _ := ch["Value"].([]byte); len(v) != 2 || int(v[0])<<8|int(v[1]) != i {
			t.Fatalf("notification %d is %v", i, ch)
		}
	}
	if err := d.Notify("0000ffff-0000-1000-8000-00805f9b34fb", nil); err == nil || errors.Is(err, ErrNotNotifying) {
		t.Fatalf("Notify on an unknown characteristic: %v", err)
	}
	c.mustCall(rx, ifaceChar+".StopNotify")
	if ch := c.changes(rx, ifaceChar); ch["Notifying"] != false {
		t.Fatalf("after StopNotify: %v", ch)
	}
	wantErr(t, c.call(rx, ifaceChar+".StopNotify").Err, "org.bluez.Error.Failed", "No notify session started")
	if err := d.Notify(chrRX, []byte{1}); !errors.Is(err, ErrNotNotifying) {
		t.Fatalf("Notify after StopNotify: %v", err)
	}
	if got, want := rec.take(), []string{"read 0000fff1", "read 0000fff1", "start 0000fff1", "stop 0000fff1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("handler got %q, want %q", got, want)
	}

	// Disconnect: ServicesResolved, Connected, then the GATT objects go.
	c.mustCall(rx, ifaceChar+".StartNotify")
	c.mustCall(d.Path(), ifaceDevice+".Disconnect")
	wantLinkDown(t, c, d, []dbus.ObjectPath{battery, svcB1, rx, tx, cmd, svcA3})
	if got, want := rec.take(), []string{"start 0000fff1", "stop 0000fff1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("handler got %q, want %q", got, want)
	}
	wantErr(t, c.call(tx, ifaceChar+".WriteValue", []byte("ab"), map[string]any{}).Err, "org.freedesktop.DBus.Error.UnknownObject", "")
	c.mustCall(d.Path(), ifaceDevice+".Disconnect")
	wantErr(t, c.call(d.Path(), ifaceDevice+".Pair").Err, "org.bluez.Error.NotSupported", "")

	// The device connects again, with the same paths.
	c.mustCall(d.Path(), ifaceDevice+".Connect")
	if _, ok := c.objects()[tx]; !ok {
		t.Fatal("no GATT objects after reconnecting")
	}

	var members []string
	for _, call := range h.z.Calls() {
		if call.Path == tx && call.Interface == ifaceChar {
			members = append(members, call.Member)
		}
	}
	if want := []string{"WriteValue", "WriteValue", "WriteValue", "WriteValue", "ReadValue", "StartNotify", "WriteValue"}; !reflect.DeepEqual(members, want) {
		t.Fatalf("calls on tx %v, want %v", members, want)
	}
}

// wantLinkDown checks the signals of a dropped link.
func wantLinkDown(t *testing.T, c *client, d *Device, gatt []dbus.ObjectPath) {
	t.Helper()
	if ch := c.changes(d.Path(), ifaceDevice); !reflect.DeepEqual(ch, map[string]any{"ServicesResolved": false}) {
		t.Fatalf("first change %v, want ServicesResolved false", ch)
	}
	if ch := c.changes(d.Path(), ifaceDevice); !reflect.DeepEqual(ch, map[string]any{"Connected": false}) {
		t.Fatalf("second change %v, want Connected false", ch)
	}
	for _, want := range gatt {
		if path, ifaces := c.removed(); path != want || !slices.Contains(ifaces, ifaceService) && !slices.Contains(ifaces, ifaceChar) {
			t.Fatalf("InterfacesRemoved %s %v, want %s", path, ifaces, want)
		}
	}
	if d.Connected() {
		t.Fatal("still connected")
	}
	for p := range c.objects() {
		if strings.HasPrefix(string(p), string(d.Path())+"/") {
			t.Fatalf("GATT object %s left", p)
		}
	}
}

func TestDropLinkAndRemove(t *testing.T) {
	h := newHarness(t, nil)
	rec := &recorder{}
	d := h.connected(rec)
	svcA3 := d.Path() + "/service0003"
	h.client.mustCall(svcA3+"/char0004", ifaceChar+".StartNotify")
	// Skip the signals of connecting.
	h.client.changes(d.Path(), ifaceDevice)
	h.client.changes(d.Path(), ifaceDevice)
	d.DropLink()
	wantLinkDown(t, h.client, d, []dbus.ObjectPath{
		d.Path() + "/service0001/char0002", d.Path() + "/service0001",
		svcA3 + "/char0004", svcA3 + "/char0005", svcA3 + "/char0006", svcA3,
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := d.WaitConnected(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !slices.Contains(got, "stop 0000fff1") {
		t.Fatalf("handler got %q, want a stop", got)
	}

	d.Remove()
	if path, _ := h.client.removed(); path != d.Path() {
		t.Fatalf("InterfacesRemoved %s, want %s", path, d.Path())
	}
	wantErr(t, h.client.call(d.Path(), ifaceDevice+".Connect").Err, "org.freedesktop.DBus.Error.UnknownObject", "")
	h.client.mustCall(h.z.AdapterPath(), ifaceAdapter+".StopDiscovery")
	h.client.mustCall(h.z.AdapterPath(), ifaceAdapter+".StartDiscovery")
	if _, ok := h.client.objects()[d.Path()]; ok {
		t.Fatal("a removed device was discovered again")
	}
}

func TestFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	writeTX := func(h *harness, d *Device, typ string) *dbus.Call {
		opts := map[string]any{}
		if typ != "" {
			opts["type"] = typ
		}
		return h.client.conn.Object(busName, d.Path()+"/service0003/char0005").Go(ifaceChar+".WriteValue", 0, nil, []byte("x"), opts)
	}
	stillWaiting := func(t *testing.T, call *dbus.Call) {
		t.Helper()
		select {
		case <-call.Done:
			t.Fatalf("%s answered (%v), want it to hang", call.Method, call.Err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	answered := func(t *testing.T, call *dbus.Call) error {
		t.Helper()
		select {
		case <-call.Done:
			return call.Err
		case <-ctx.Done():
			t.Fatalf("%s never answered", call.Method)
			return nil
		}
	}
	hangConnect := func(release func(h *harness, d *Device)) func(t *testing.T, h *harness, d *Device) {
		return func(t *testing.T, h *harness, d *Device) {
			d.HangConnect(true)
			call := h.client.conn.Object(busName, d.Path()).Go(ifaceDevice+".Connect", 0, nil)
			stillWaiting(t, call)
			if d.Connected() {
				t.Fatal("connected while Connect hangs")
			}
			release(h, d)
			wantErr(t, answered(t, call), "org.bluez.Error.Failed", "")
			if d.Connected() {
				t.Fatal("connected after a cancelled Connect")
			}
		}
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, h *harness, d *Device)
	}{
		{"refuse connect", func(t *testing.T, h *harness, d *Device) {
			d.RefuseConnect(true)
			wantErr(t, h.client.call(d.Path(), ifaceDevice+".Connect").Err, "org.bluez.Error.Failed", "le-connection-abort-by-local")
			d.RefuseConnect(false)
			h.client.mustCall(d.Path(), ifaceDevice+".Connect")
		}},
		{"hang connect until Disconnect", hangConnect(func(h *harness, d *Device) {
			h.client.mustCall(d.Path(), ifaceDevice+".Disconnect")
		})},
		{"hang connect until Remove", hangConnect(func(_ *harness, d *Device) { d.Remove() })},
		{"hang connect until Close", hangConnect(func(h *harness, _ *Device) {
			if err := h.z.Close(); err != nil {
				h.t.Error(err)
			}
		})},
		{"never resolve", func(t *testing.T, h *harness, d *Device) {
			d.NeverResolve(true)
			h.client.mustCall(d.Path(), ifaceDevice+".Connect")
			props := plain(h.client.objects()[d.Path()][ifaceDevice])
			if props["Connected"] != true || props["ServicesResolved"] != false {
				t.Fatalf("device %v", props)
			}
			if len(h.client.objects()) != 2 {
				t.Fatal("GATT objects appeared")
			}
		}},
		{"fail writes", func(t *testing.T, h *harness, d *Device) {
			h.client.mustCall(d.Path(), ifaceDevice+".Connect")
			d.FailWrites(true)
			wantErr(t, answered(t, writeTX(h, d, "command")), "org.bluez.Error.Failed", "")
			wantErr(t, answered(t, writeTX(h, d, "request")), "org.bluez.Error.Failed", "")
			d.FailWrites(false)
			if err := answered(t, writeTX(h, d, "request")); err != nil {
				t.Fatal(err)
			}
		}},
		{"hang writes until the link drops", func(t *testing.T, h *harness, d *Device) {
			h.client.mustCall(d.Path(), ifaceDevice+".Connect")
			d.HangWrites(true)
			call := writeTX(h, d, "request")
			stillWaiting(t, call)
			if err := answered(t, writeTX(h, d, "command")); err != nil {
				t.Fatalf("write without response while writes hang: %v", err)
			}
			d.DropLink()
			wantErr(t, answered(t, call), "org.bluez.Error.Failed", "Not connected")
		}},
		{"hang writes until Close", func(t *testing.T, h *harness, d *Device) {
			h.client.mustCall(d.Path(), ifaceDevice+".Connect")
			d.HangWrites(true)
			call := writeTX(h, d, "")
			stillWaiting(t, call)
			if err := h.z.Close(); err != nil {
				t.Fatal(err)
			}
			wantErr(t, answered(t, call), "org.bluez.Error.Failed", "Not connected")
		}},
		{"connect powered off", func(t *testing.T, h *harness, d *Device) {
			h.z.SetPowered(false)
			wantErr(t, h.client.call(d.Path(), ifaceDevice+".Connect").Err, "org.bluez.Error.NotReady", "")
		}},
		{"power off drops links", func(t *testing.T, h *harness, d *Device) {
			h.client.mustCall(d.Path(), ifaceDevice+".Connect")
			h.z.SetPowered(false)
			if d.Connected() {
				t.Fatal("connected after power off")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			d, err := h.z.Add(toy(&recorder{}))
			if err != nil {
				t.Fatal(err)
			}
			h.client.mustCall(h.z.AdapterPath(), ifaceAdapter+".StartDiscovery")
			tc.run(t, h, d)
		})
	}
}

func TestDenyBlueZ(t *testing.T) {
	h := newHarness(t, []BusOption{DenyBlueZ()})
	err := h.client.call("/", ifaceObjectManager+".GetManagedObjects").Err
	wantErr(t, err, "org.freedesktop.DBus.Error.AccessDenied", "")
	if len(h.z.Calls()) != 0 {
		t.Fatalf("calls reached the stand-in: %v", h.z.Calls())
	}
}

func TestWithoutAdapter(t *testing.T) {
	h := newHarness(t, nil, WithoutAdapter())
	for _, path := range []dbus.ObjectPath{"/org/bluez/hci0", "/org/bluez"} {
		err := h.client.call(path, ifaceProperties+".Get", ifaceAdapter, "Address").Err
		wantErr(t, err, "org.freedesktop.DBus.Error.UnknownObject", "")
	}
	if objs := h.client.objects(); len(objs) != 0 {
		t.Fatalf("managed objects %v, want none", objs)
	}
	if _, err := h.z.Add(Peripheral{}); err != nil {
		t.Fatal(err)
	}
}

func TestNameTaken(t *testing.T) {
	h := newHarness(t, nil)
	if z, err := New(h.bus.Address()); err == nil {
		_ = z.Close()
		t.Fatal("a second stand-in took the name")
	} else if !strings.Contains(err.Error(), "already owned") {
		t.Fatalf("error %q does not say the name is taken", err)
	}
}

func TestStartBusDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := StartBus(ctx)
	if errors.Is(err, ErrNoDaemon) {
		t.Skipf("%v: install the dbus package (dbus-daemon) to run these tests", err)
	}
	if err == nil {
		// The daemon may have been quicker than the check of ctx.
		_ = b.Close()
		return
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("StartBus with a cancelled context: %v", err)
	}
}

// A test that closes the bus first must not hang the stand-in's Close.
func TestCloseAfterBus(t *testing.T) {
	h := newHarness(t, nil)
	h.connected(&recorder{})
	if err := h.bus.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = h.z.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("Close hangs once the bus is gone")
	}
}
