// Package fakebluez is a BlueZ stand-in for tests of the Bluetooth LE
// backend: it owns org.bluez on a private dbus-daemon (StartBus) and serves
// what BlueZ serves a central — ObjectManager at "/", an adapter, devices
// that appear when discovery sees them, and their GATT services and
// characteristics once connected — with the signals, errors and ordering
// real BlueZ has, plus faults (refused or hanging connects, writes that
// fail or hang, links that drop) that hardware produces only sometimes.
//
// A test starts a Bus, points the backend at it with
// DBUS_SYSTEM_BUS_ADDRESS, starts a BlueZ on it and adds peripherals, either
// scripted (Add, with a Handler) or simulated devices of the device layer
// (AddSimulated), which then answer the backend as the real toy would.
package fakebluez

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// BlueZ owns org.bluez on a bus and serves the adapter, the devices and
// their GATT objects. Its methods are safe for concurrent use.
type BlueZ struct {
	opt         options
	adapterPath dbus.ObjectPath
	done        chan struct{} // closed by Close; ends calls that hang
	watchDone   chan struct{} // closed when the client watcher returns
	inflight    sync.WaitGroup
	answers     *answers // replies of handled calls not yet written
	bg          sync.WaitGroup

	mu           sync.Mutex
	conn         *dbus.Conn
	closed       bool
	objects      map[dbus.ObjectPath]node
	calls        []Call
	powered      bool
	alias        string
	discoverable bool
	pairable     bool
	// discoverers are the clients that started discovery: BlueZ
	// discovers while any has, and each may stop only its own.
	discoverers map[string]bool
	filters     map[string]map[string]dbus.Variant
	devices     []*Device
	nextAddr    int
}

// Option configures New.
type Option func(*options)

type options struct {
	adapter    string
	noAdapter  bool
	poweredOff bool
}

// WithAdapter sets the adapter id (default "hci0", object /org/bluez/hci0).
func WithAdapter(id string) Option { return func(o *options) { o.adapter = id } }

// WithoutAdapter serves no adapter object at all, as on a machine without
// a Bluetooth controller.
func WithoutAdapter() Option { return func(o *options) { o.noAdapter = true } }

// WithPoweredOff starts with the adapter's Powered false.
func WithPoweredOff() Option { return func(o *options) { o.poweredOff = true } }

const adapterName = "fakebluez"

// New connects to the bus at address, serves the adapter and takes the
// name org.bluez; it fails if another connection owns the name.
func New(address string, opts ...Option) (*BlueZ, error) {
	o := options{adapter: "hci0"}
	for _, f := range opts {
		f(&o)
	}
	z := &BlueZ{
		opt:         o,
		adapterPath: dbus.ObjectPath("/org/bluez/" + o.adapter),
		done:        make(chan struct{}),
		watchDone:   make(chan struct{}),
		objects:     map[dbus.ObjectPath]node{"/": rootNode{}},
		powered:     !o.poweredOff,
		alias:       adapterName,
		pairable:    true,
		discoverers: map[string]bool{},
		filters:     map[string]map[string]dbus.Variant{},
	}
	if !z.adapterPath.IsValid() {
		return nil, fmt.Errorf("fakebluez: adapter id %q makes no valid object path", o.adapter)
	}
	if !o.noAdapter {
		z.objects[z.adapterPath] = &adapter{z: z}
	}
	z.answers = newAnswers()
	conn, err := dbus.Connect(address, dbus.WithHandler(router{z: z}), dbus.WithIncomingInterceptor(z.record),
		dbus.WithSerialGenerator(z.answers), dbus.WithOutgoingInterceptor(z.answers.outgoing))
	if err != nil {
		return nil, fmt.Errorf("fakebluez: connect to bus %s: %w", address, err)
	}
	z.mu.Lock()
	z.conn = conn
	z.mu.Unlock()
	fail := func(err error) (*BlueZ, error) {
		_ = conn.Close()
		<-z.watchDone
		return nil, err
	}
	// Clients that leave the bus lose their discovery and notify
	// sessions, as in BlueZ.
	sigs := make(chan *dbus.Signal, 64)
	conn.Signal(sigs)
	go z.watchClients(sigs)
	if err := conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged")); err != nil {
		return fail(fmt.Errorf("fakebluez: watch bus clients: %w", err))
	}
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fail(fmt.Errorf("fakebluez: request name %s: %w", busName, err))
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fail(fmt.Errorf("fakebluez: name %s is already owned on bus %s (%v)", busName, address, reply))
	}
	return z, nil
}

// Close disconnects every device, ends the calls that hang, releases the
// name and closes the connection. It is idempotent.
func (z *BlueZ) Close() error {
	z.mu.Lock()
	if z.closed {
		z.mu.Unlock()
		return nil
	}
	z.closed = true
	close(z.done)
	devs := slices.Clone(z.devices)
	z.mu.Unlock()
	for _, d := range devs {
		d.drop()
	}
	z.inflight.Wait()
	z.answers.wait(time.Second)
	z.bg.Wait()
	// The name goes with the connection anyway; releasing it first tells
	// clients before the connection drops.
	_, _ = z.conn.ReleaseName(busName)
	err := z.conn.Close()
	<-z.watchDone
	if err != nil {
		return fmt.Errorf("fakebluez: close bus connection: %w", err)
	}
	return nil
}

// Crash ends the stand-in as a killed bluetoothd ends: the connection
// goes, and with it the name and every object, with no signal sent first.
// Devices lose their links (simulated ones are disconnected). Close after
// Crash does nothing more.
func (z *BlueZ) Crash() {
	z.mu.Lock()
	if z.closed {
		z.mu.Unlock()
		return
	}
	z.closed = true
	close(z.done)
	devs := slices.Clone(z.devices)
	z.mu.Unlock()
	_ = z.conn.Close()
	for _, d := range devs {
		d.drop()
	}
	z.inflight.Wait()
	z.bg.Wait()
	<-z.watchDone
}

// goBG runs f in a goroutine Close waits for, unless closed.
func (z *BlueZ) goBG(f func()) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.closed {
		return
	}
	z.bg.Add(1)
	go func() {
		defer z.bg.Done()
		f()
	}()
}

// AdapterPath returns the adapter's object path, /org/bluez/hci0 by
// default (also when served WithoutAdapter).
func (z *BlueZ) AdapterPath() dbus.ObjectPath { return z.adapterPath }

// Calls returns every method call received so far, in order.
func (z *BlueZ) Calls() []Call {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.calls)
}

// Discovering reports whether some client's discovery runs.
func (z *BlueZ) Discovering() bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.discovering()
}

func (z *BlueZ) discovering() bool { return len(z.discoverers) > 0 }

// SetPowered switches the adapter. Powering off ends discovery and drops
// every link first, as the controller does; PropertiesChanged reports each
// step.
func (z *BlueZ) SetPowered(on bool) {
	z.mu.Lock()
	if z.closed || z.opt.noAdapter || z.powered == on {
		z.mu.Unlock()
		return
	}
	z.powered = on
	if on {
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Powered": true, "PowerState": "on"})
		z.mu.Unlock()
		return
	}
	if z.discovering() {
		clear(z.discoverers)
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Discovering": false})
	}
	devs := slices.Clone(z.devices)
	z.mu.Unlock()
	for _, d := range devs {
		d.drop()
	}
	z.mu.Lock()
	if !z.powered {
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Powered": false, "PowerState": "off"})
	}
	z.mu.Unlock()
}

// watchClients ends the sessions of clients that leave the bus; it returns
// when the connection closes.
func (z *BlueZ) watchClients(sigs <-chan *dbus.Signal) {
	defer close(z.watchDone)
	for sig := range sigs {
		if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
			continue
		}
		name, _ := sig.Body[0].(string)
		owner, _ := sig.Body[2].(string)
		if owner == "" && strings.HasPrefix(name, ":") {
			z.clientGone(name)
		}
	}
}

func (z *BlueZ) clientGone(name string) {
	type stop struct {
		h    Handler
		uuid string
	}
	var stops []stop
	z.mu.Lock()
	delete(z.filters, name)
	if z.discoverers[name] {
		delete(z.discoverers, name)
		if !z.discovering() {
			z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Discovering": false})
		}
	}
	for _, d := range z.devices {
		for _, s := range d.services {
			for _, c := range s.chars {
				if c.notifiers[name] {
					delete(c.notifiers, name)
					if len(c.notifiers) == 0 {
						z.changed(c.path, ifaceChar, map[string]any{"Notifying": false})
						stops = append(stops, stop{d.handler, c.uuid})
					}
				}
			}
		}
	}
	z.mu.Unlock()
	for _, s := range stops {
		_ = s.h.StopNotify(s.uuid)
	}
}

// adapter is the Adapter1 object; its state lives in BlueZ.
type adapter struct{ z *BlueZ }

func (a *adapter) ifaces() []string {
	return []string{ifaceAdapter, ifaceProperties, ifaceIntrospectable}
}

func (a *adapter) props(iface string) map[string]dbus.Variant {
	if iface != ifaceAdapter {
		return map[string]dbus.Variant{}
	}
	z := a.z
	state := "off"
	if z.powered {
		state = "on"
	}
	return variants(map[string]any{
		"Address":             "00:1A:7D:DA:71:13",
		"AddressType":         "public",
		"Name":                adapterName,
		"Alias":               z.alias,
		"Class":               uint32(0),
		"Powered":             z.powered,
		"PowerState":          state,
		"Discoverable":        z.discoverable,
		"DiscoverableTimeout": uint32(180),
		"Pairable":            z.pairable,
		"PairableTimeout":     uint32(0),
		"Discovering":         z.discovering(),
		"UUIDs":               []string{},
		"Modalias":            "usb:v1D6Bp0246d0548",
		"Roles":               []string{"central", "peripheral"},
	})
}

func (a *adapter) set(_, name string, v dbus.Variant) *dbus.Error {
	z := a.z
	if name == "Powered" {
		z.SetPowered(v.Value().(bool))
		return nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	switch name {
	case "Alias":
		z.alias = v.Value().(string)
		if z.alias == "" {
			z.alias = adapterName
		}
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Alias": z.alias})
	case "Discoverable":
		z.discoverable = v.Value().(bool)
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Discoverable": z.discoverable})
	case "Pairable":
		z.pairable = v.Value().(bool)
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Pairable": z.pairable})
	}
	return nil
}

func (z *BlueZ) setDiscoveryFilter(_ node, c Call) ([]any, *dbus.Error) {
	f := c.Args[0].(map[string]dbus.Variant)
	for k, v := range f {
		var ok bool
		switch k {
		case "UUIDs":
			_, ok = v.Value().([]string)
		case "RSSI":
			_, ok = v.Value().(int16)
		case "Pathloss":
			_, ok = v.Value().(uint16)
		case "Transport":
			s, _ := v.Value().(string)
			ok = s == "auto" || s == "bredr" || s == "le"
		case "DuplicateData", "Discoverable":
			_, ok = v.Value().(bool)
		case "Pattern":
			_, ok = v.Value().(string)
		}
		if !ok {
			return nil, errInvalidArguments("Invalid arguments in method call")
		}
	}
	_, rssi := f["RSSI"]
	_, pathloss := f["Pathloss"]
	if rssi && pathloss {
		return nil, errInvalidArguments("Invalid arguments in method call")
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.powered {
		return nil, errNotReady()
	}
	if len(f) == 0 {
		delete(z.filters, c.Sender)
	} else {
		z.filters[c.Sender] = f
	}
	return nil, nil
}

func (z *BlueZ) getDiscoveryFilters(node, Call) ([]any, *dbus.Error) {
	return []any{[]string{"UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern"}}, nil
}

func (z *BlueZ) startDiscovery(_ node, c Call) ([]any, *dbus.Error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.powered {
		return nil, errNotReady()
	}
	if z.discoverers[c.Sender] {
		return nil, errInProgress("Operation already in progress")
	}
	if !z.discovering() {
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Discovering": true})
	}
	z.discoverers[c.Sender] = true
	for _, d := range z.devices {
		z.see(d)
	}
	return nil, nil
}

func (z *BlueZ) stopDiscovery(_ node, c Call) ([]any, *dbus.Error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.powered {
		return nil, errNotReady()
	}
	if !z.discoverers[c.Sender] {
		return nil, errFailed("No discovery started")
	}
	delete(z.discoverers, c.Sender)
	if !z.discovering() {
		z.changed(z.adapterPath, ifaceAdapter, map[string]any{"Discovering": false})
	}
	return nil, nil
}

// see makes discovery see d: the first time its object appears, later its
// RSSI changes, as a re-advertising device looks; z.mu is held.
func (z *BlueZ) see(d *Device) {
	if d.connected || z.opt.noAdapter {
		// A connected peripheral does not advertise.
		return
	}
	if !d.exported {
		d.exported = true
		d.rssi = d.p.RSSI
		z.export(d.path, d)
		return
	}
	delta := int16(-1)
	if d.p.RSSI == math.MinInt16 {
		delta = 1
	}
	if d.rssi == d.p.RSSI {
		d.rssi += delta
	} else {
		d.rssi = d.p.RSSI
	}
	z.changed(d.path, ifaceDevice, map[string]any{"RSSI": d.rssi})
}

func (z *BlueZ) removeDevice(_ node, c Call) ([]any, *dbus.Error) {
	path := c.Args[0].(dbus.ObjectPath)
	z.mu.Lock()
	var d *Device
	for _, x := range z.devices {
		if x.path == path && x.exported {
			d = x
		}
	}
	z.mu.Unlock()
	if d == nil {
		return nil, errDoesNotExist()
	}
	// The peripheral still advertises, so a later discovery finds it
	// again.
	d.drop()
	z.mu.Lock()
	if d.exported {
		d.exported = false
		z.unexport(d.path)
	}
	z.mu.Unlock()
	return nil, nil
}

// ErrNotNotifying is wrapped by Device.Notify when no characteristic of the
// UUID is notifying (also when the device is not connected).
var ErrNotNotifying = errors.New("characteristic not notifying")
