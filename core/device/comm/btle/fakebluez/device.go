package fakebluez

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// Peripheral describes a BLE peripheral: what it advertises and the GATT
// services it has once connected.
type Peripheral struct {
	// Name is the advertised local name; "" leaves out Name and Alias.
	Name string
	// Address is "AA:BB:CC:DD:EE:FF"; "" generates a unique one.
	Address string
	// AddressType is "public" (the default) or "random".
	AddressType string
	// RSSI is the signal strength discovery reports; later sightings
	// alternate it with RSSI-1, so clients see a change.
	RSSI int16
	// ManufacturerData maps company ids to their advertised bytes.
	ManufacturerData map[uint16][]byte
	// UUIDs are the advertised service UUIDs; nil leaves the property out,
	// as BlueZ does for a device that advertises none.
	UUIDs []string
	// Services maps GATT service UUIDs to their characteristics.
	Services map[string][]Characteristic
	// Handler serves GATT operations; nil accepts writes and drops them,
	// and reads return nothing.
	Handler Handler
}

// Characteristic is a GATT characteristic of a Peripheral.
type Characteristic struct {
	UUID string
	// Flags are BlueZ's characteristic flags; nil means read, write,
	// write-without-response and notify.
	Flags []string
}

// Handler serves the GATT operations of a Peripheral; char is the
// characteristic's lower-case UUID. An error that is a *dbus.Error goes to
// the client as it is, any other as org.bluez.Error.Failed with its text.
// Methods run in the goroutine of the D-Bus call and must return: Close
// waits for them.
type Handler interface {
	// Write receives a WriteValue; withResponse is false for
	// type=command.
	Write(char string, data []byte, withResponse bool) error
	// Read answers a ReadValue.
	Read(char string) ([]byte, error)
	// StartNotify is called when the first client starts notifications on
	// char.
	StartNotify(char string) error
	// StopNotify is called when the last client stops notifications on
	// char, or the link drops.
	StopNotify(char string) error
}

// linker is a Handler that follows the link: AddSimulated's connects the
// simulated device on Connect and disconnects it when the link drops.
type linker interface {
	connect(d *Device) error
	disconnect()
}

type nopHandler struct{}

func (nopHandler) Write(string, []byte, bool) error { return nil }
func (nopHandler) Read(string) ([]byte, error)      { return []byte{}, nil }
func (nopHandler) StartNotify(string) error         { return nil }
func (nopHandler) StopNotify(string) error          { return nil }

// Device is a peripheral added to a BlueZ. Its methods are safe for
// concurrent use.
type Device struct {
	z        *BlueZ
	p        Peripheral // a copy with normalised UUIDs; never changed
	addrType string
	path     dbus.ObjectPath
	handler  Handler

	// linkMu serialises connecting and dropping the link, so a handler
	// never sees a connect before the previous link's disconnect. It is
	// taken before z.mu, never while holding it.
	linkMu sync.Mutex

	// Guarded by z.mu.
	exported   bool
	removed    bool
	connected  bool
	resolved   bool
	rssi       int16
	alias      string
	trusted    bool
	blocked    bool
	services   []*service
	connecting chan struct{} // closed to cancel Connect calls that hang
	link       chan struct{} // closed when the current link drops
	changed    chan struct{} // closed and replaced when Connected changes
	faults     faults
}

type faults struct {
	refuseConnect, hangConnect, neverResolve, failWrites, hangWrites bool
}

var defaultFlags = []string{"read", "write", "write-without-response", "notify"}

// Add adds a peripheral. Clients see it once a discovery runs (at once if
// one does).
func (z *BlueZ) Add(p Peripheral) (*Device, error) {
	d := &Device{z: z, addrType: p.AddressType, handler: p.Handler, changed: make(chan struct{})}
	if d.addrType == "" {
		d.addrType = "public"
	}
	if d.addrType != "public" && d.addrType != "random" {
		return nil, fmt.Errorf("fakebluez: add peripheral %q: address type %q is neither public nor random", p.Name, p.AddressType)
	}
	if d.handler == nil {
		d.handler = nopHandler{}
	}
	d.p = Peripheral{Name: p.Name, RSSI: p.RSSI, Handler: p.Handler}
	if p.ManufacturerData != nil {
		d.p.ManufacturerData = map[uint16][]byte{}
		for id, b := range p.ManufacturerData {
			d.p.ManufacturerData[id] = slices.Clone(b)
		}
	}
	if p.UUIDs != nil {
		d.p.UUIDs = make([]string, len(p.UUIDs))
		for i, u := range p.UUIDs {
			d.p.UUIDs[i] = strings.ToLower(u)
		}
	}
	d.p.Services = map[string][]Characteristic{}
	for svc, chars := range p.Services {
		svc = strings.ToLower(svc)
		for _, c := range chars {
			flags := slices.Clone(c.Flags)
			if flags == nil {
				flags = defaultFlags
			}
			d.p.Services[svc] = append(d.p.Services[svc], Characteristic{UUID: strings.ToLower(c.UUID), Flags: flags})
		}
	}
	addr := strings.ToUpper(p.Address)
	if addr != "" && !isMAC(addr) {
		return nil, fmt.Errorf("fakebluez: add peripheral %q: address %q is not AA:BB:CC:DD:EE:FF", p.Name, p.Address)
	}

	z.mu.Lock()
	defer z.mu.Unlock()
	if z.closed {
		return nil, fmt.Errorf("fakebluez: add peripheral %q: BlueZ stand-in closed", p.Name)
	}
	taken := func(a string) bool {
		return slices.ContainsFunc(z.devices, func(x *Device) bool { return x.p.Address == a })
	}
	if addr == "" {
		for addr == "" || taken(addr) {
			z.nextAddr++
			// A random static address (top bits set) that no real
			// vendor prefix uses.
			addr = fmt.Sprintf("F0:0D:%02X:%02X:%02X:%02X", z.nextAddr>>24&0xff, z.nextAddr>>16&0xff, z.nextAddr>>8&0xff, z.nextAddr&0xff)
		}
	} else if taken(addr) {
		return nil, fmt.Errorf("fakebluez: add peripheral %q: address %s is taken", p.Name, addr)
	}
	d.p.Address = addr
	d.path = dbus.ObjectPath(string(z.adapterPath) + "/dev_" + strings.ReplaceAll(addr, ":", "_"))
	z.devices = append(z.devices, d)
	if z.discovering() {
		z.see(d)
	}
	return d, nil
}

func isMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Path returns the device object's path, /org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF.
func (d *Device) Path() dbus.ObjectPath { return d.path }

// Address returns the device address, upper case.
func (d *Device) Address() string { return d.p.Address }

// Connected reports whether the device is connected.
func (d *Device) Connected() bool {
	d.z.mu.Lock()
	defer d.z.mu.Unlock()
	return d.connected
}

// WaitConnected waits until Connected is want.
func (d *Device) WaitConnected(ctx context.Context, want bool) error {
	for {
		d.z.mu.Lock()
		if d.connected == want {
			d.z.mu.Unlock()
			return nil
		}
		ch := d.changed
		d.z.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakebluez: device %s: waiting for Connected=%v: %w", d.p.Address, want, ctx.Err())
		}
	}
}

// Notify sends data as a notification (PropertiesChanged of Value) on
// every notifying characteristic char. It fails with an error wrapping
// ErrNotNotifying when none is.
func (d *Device) Notify(char string, data []byte) error {
	uuid := strings.ToLower(char)
	z := d.z
	z.mu.Lock()
	defer z.mu.Unlock()
	known, sent := false, false
	for _, chars := range d.p.Services {
		known = known || slices.ContainsFunc(chars, func(c Characteristic) bool { return c.UUID == uuid })
	}
	if !known {
		return fmt.Errorf("fakebluez: notify on device %s: no characteristic %s", d.p.Address, uuid)
	}
	for _, s := range d.services {
		for _, c := range s.chars {
			if c.uuid == uuid && len(c.notifiers) > 0 {
				c.value = slices.Clone(data)
				z.changed(c.path, ifaceChar, map[string]any{"Value": c.value})
				sent = true
			}
		}
	}
	if !sent {
		return fmt.Errorf("fakebluez: notify %s on device %s: %w", uuid, d.p.Address, ErrNotNotifying)
	}
	return nil
}

// DropLink disconnects the device as the peer does (out of range, switched
// off): ServicesResolved and Connected turn false and the GATT objects go
// away. A Connect that hangs is cancelled.
func (d *Device) DropLink() { d.drop() }

// Remove takes the device away for good: its link drops and its object is
// removed (InterfacesRemoved); discovery no longer sees it.
func (d *Device) Remove() {
	z := d.z
	z.mu.Lock()
	d.removed = true
	z.mu.Unlock()
	d.drop()
	z.mu.Lock()
	defer z.mu.Unlock()
	if d.exported {
		d.exported = false
		z.unexport(d.path)
	}
	z.devices = slices.DeleteFunc(z.devices, func(x *Device) bool { return x == d })
}

// RefuseConnect makes Device1.Connect fail with org.bluez.Error.Failed
// "le-connection-abort-by-local" while on.
func (d *Device) RefuseConnect(on bool) { d.setFault(func(f *faults) { f.refuseConnect = on }) }

// HangConnect makes Device1.Connect not answer while on: the call waits,
// Connected stays false, until Device1.Disconnect, DropLink, Remove or Close
// cancel it with org.bluez.Error.Failed. Turning it off does not release
// calls already waiting.
func (d *Device) HangConnect(on bool) { d.setFault(func(f *faults) { f.hangConnect = on }) }

// NeverResolve makes Connect succeed (Connected true) without GATT objects
// appearing or ServicesResolved turning true.
func (d *Device) NeverResolve(on bool) { d.setFault(func(f *faults) { f.neverResolve = on }) }

// FailWrites makes WriteValue fail with org.bluez.Error.Failed while on.
func (d *Device) FailWrites(on bool) { d.setFault(func(f *faults) { f.failWrites = on }) }

// HangWrites makes WriteValue with response (type=request, or no type) not
// answer while on, until the link drops or Close; then it fails with
// org.bluez.Error.Failed "Not connected". Writes without response still go
// through.
func (d *Device) HangWrites(on bool) { d.setFault(func(f *faults) { f.hangWrites = on }) }

func (d *Device) setFault(f func(*faults)) {
	d.z.mu.Lock()
	f(&d.faults)
	d.z.mu.Unlock()
}

func (d *Device) ifaces() []string {
	return []string{ifaceDevice, ifaceProperties, ifaceIntrospectable}
}

func (d *Device) props(iface string) map[string]dbus.Variant {
	if iface != ifaceDevice {
		return map[string]dbus.Variant{}
	}
	m := map[string]any{
		"Address":          d.p.Address,
		"AddressType":      d.addrType,
		"RSSI":             d.rssi,
		"Connected":        d.connected,
		"ServicesResolved": d.resolved,
		"Paired":           false,
		"Bonded":           false,
		"Trusted":          d.trusted,
		"Blocked":          d.blocked,
		"LegacyPairing":    false,
		"Adapter":          d.z.adapterPath,
	}
	if d.p.Name != "" {
		m["Name"] = d.p.Name
		m["Alias"] = d.p.Name
		if d.alias != "" {
			m["Alias"] = d.alias
		}
	}
	if d.p.UUIDs != nil {
		m["UUIDs"] = slices.Clone(d.p.UUIDs)
	}
	if len(d.p.ManufacturerData) > 0 {
		md := map[uint16]dbus.Variant{}
		for id, b := range d.p.ManufacturerData {
			md[id] = dbus.MakeVariant(slices.Clone(b))
		}
		m["ManufacturerData"] = md
	}
	return variants(m)
}

func (d *Device) set(_, name string, v dbus.Variant) *dbus.Error {
	z := d.z
	z.mu.Lock()
	defer z.mu.Unlock()
	switch name {
	case "Alias":
		d.alias = v.Value().(string)
		z.changed(d.path, ifaceDevice, map[string]any{"Alias": d.props(ifaceDevice)["Alias"].Value()})
	case "Trusted":
		d.trusted = v.Value().(bool)
		z.changed(d.path, ifaceDevice, map[string]any{"Trusted": d.trusted})
	case "Blocked":
		d.blocked = v.Value().(bool)
		z.changed(d.path, ifaceDevice, map[string]any{"Blocked": d.blocked})
	}
	return nil
}

func (z *BlueZ) deviceConnect(n node, _ Call) ([]any, *dbus.Error) {
	d := n.(*Device)
	z.mu.Lock()
	switch {
	case !z.powered:
		z.mu.Unlock()
		return nil, errNotReady()
	case d.connected:
		z.mu.Unlock()
		return nil, nil
	case d.faults.refuseConnect:
		z.mu.Unlock()
		return nil, errFailed("le-connection-abort-by-local")
	case d.faults.hangConnect:
		if d.connecting == nil {
			d.connecting = make(chan struct{})
		}
		ch := d.connecting
		z.mu.Unlock()
		select {
		case <-ch:
		case <-z.done:
		}
		return nil, errFailed("Cancelled")
	}
	z.mu.Unlock()
	if err := d.connect(); err != nil {
		return nil, err
	}
	return nil, nil
}

// connect makes the link: Connected, then the GATT objects, then
// ServicesResolved, all before Connect answers, as BlueZ does.
func (d *Device) connect() *dbus.Error {
	d.linkMu.Lock()
	defer d.linkMu.Unlock()
	z := d.z
	z.mu.Lock()
	if z.closed || d.removed {
		z.mu.Unlock()
		return errFailed("Cancelled")
	}
	if d.connected {
		z.mu.Unlock()
		return nil
	}
	l, _ := d.handler.(linker)
	z.mu.Unlock()
	if l != nil {
		if err := l.connect(d); err != nil {
			return errFailed("le-connection-abort-by-local: " + err.Error())
		}
	}
	z.mu.Lock()
	if z.closed || d.removed || !z.powered {
		z.mu.Unlock()
		if l != nil {
			l.disconnect()
		}
		return errFailed("Cancelled")
	}
	defer z.mu.Unlock()
	d.connected = true
	d.link = make(chan struct{})
	d.signalChange()
	z.changed(d.path, ifaceDevice, map[string]any{"Connected": true})
	if d.faults.neverResolve {
		return nil
	}
	d.services = d.gatt()
	for _, s := range d.services {
		z.export(s.path, s)
		for _, c := range s.chars {
			z.export(c.path, c)
		}
	}
	d.resolved = true
	z.changed(d.path, ifaceDevice, map[string]any{"ServicesResolved": true})
	return nil
}

// signalChange wakes WaitConnected; z.mu is held.
func (d *Device) signalChange() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// gatt builds the GATT objects of a new link: services and their
// characteristics sorted by UUID, with increasing handles, so paths are
// the same on every run.
func (d *Device) gatt() []*service {
	svcs := make([]string, 0, len(d.p.Services))
	for u := range d.p.Services {
		svcs = append(svcs, u)
	}
	sort.Strings(svcs)
	handle := 0
	next := func() int { handle++; return handle }
	var out []*service
	for _, u := range svcs {
		s := &service{d: d, uuid: u}
		s.path = dbus.ObjectPath(fmt.Sprintf("%s/service%04x", d.path, next()))
		chars := slices.Clone(d.p.Services[u])
		sort.SliceStable(chars, func(i, j int) bool { return chars[i].UUID < chars[j].UUID })
		for _, c := range chars {
			s.chars = append(s.chars, &char{
				s:     s,
				uuid:  c.UUID,
				flags: c.Flags,
				path:  dbus.ObjectPath(fmt.Sprintf("%s/char%04x", s.path, next())),
				value: []byte{},
			})
		}
		out = append(out, s)
	}
	return out
}

// drop ends the link if there is one and cancels Connect calls that hang.
func (d *Device) drop() {
	d.linkMu.Lock()
	defer d.linkMu.Unlock()
	z := d.z
	z.mu.Lock()
	if d.connecting != nil {
		close(d.connecting)
		d.connecting = nil
	}
	if !d.connected {
		z.mu.Unlock()
		return
	}
	if d.resolved {
		d.resolved = false
		z.changed(d.path, ifaceDevice, map[string]any{"ServicesResolved": false})
	}
	d.connected = false
	close(d.link)
	d.signalChange()
	z.changed(d.path, ifaceDevice, map[string]any{"Connected": false})
	var notifying []string
	for _, s := range d.services {
		for _, c := range s.chars {
			if len(c.notifiers) > 0 && !slices.Contains(notifying, c.uuid) {
				notifying = append(notifying, c.uuid)
			}
			c.notifiers = nil
			c.gone = true
			z.unexport(c.path)
		}
		z.unexport(s.path)
	}
	d.services = nil
	h := d.handler
	z.mu.Unlock()
	// The link is gone, so a simulated device hears no unsubscribe, as
	// real hardware would not.
	if l, ok := h.(linker); ok {
		l.disconnect()
	}
	for _, u := range notifying {
		_ = h.StopNotify(u)
	}
}

func (z *BlueZ) deviceDisconnect(n node, _ Call) ([]any, *dbus.Error) {
	// BlueZ answers success when there was no link either.
	n.(*Device).drop()
	return nil, nil
}

func (z *BlueZ) devicePair(node, Call) ([]any, *dbus.Error) {
	return nil, errNotSupported("Operation is not supported")
}

func (z *BlueZ) deviceCancelPairing(node, Call) ([]any, *dbus.Error) {
	return nil, errDoesNotExist()
}

// service is a GattService1 object.
type service struct {
	d     *Device
	uuid  string
	path  dbus.ObjectPath
	chars []*char
}

func (s *service) ifaces() []string {
	return []string{ifaceService, ifaceProperties, ifaceIntrospectable}
}

func (s *service) props(iface string) map[string]dbus.Variant {
	if iface != ifaceService {
		return map[string]dbus.Variant{}
	}
	return variants(map[string]any{
		"UUID":     s.uuid,
		"Primary":  true,
		"Device":   s.d.path,
		"Includes": []dbus.ObjectPath{},
	})
}

func (s *service) set(string, string, dbus.Variant) *dbus.Error { return nil }

// char is a GattCharacteristic1 object.
type char struct {
	s     *service
	uuid  string
	path  dbus.ObjectPath
	flags []string
	// Guarded by z.mu.
	value     []byte
	notifiers map[string]bool // clients with a notify session
	gone      bool            // the link this object belonged to dropped
}

func (c *char) ifaces() []string {
	return []string{ifaceChar, ifaceProperties, ifaceIntrospectable}
}

func (c *char) props(iface string) map[string]dbus.Variant {
	if iface != ifaceChar {
		return map[string]dbus.Variant{}
	}
	m := map[string]any{
		"UUID":    c.uuid,
		"Service": c.s.path,
		"Value":   slices.Clone(c.value),
		"Flags":   slices.Clone(c.flags),
		"MTU":     uint16(247),
	}
	if c.has("notify") || c.has("indicate") {
		m["Notifying"] = len(c.notifiers) > 0
	}
	return variants(m)
}

func (c *char) set(string, string, dbus.Variant) *dbus.Error { return nil }

func (c *char) has(flag string) bool { return slices.Contains(c.flags, flag) }

func errNotConnected() *dbus.Error { return errFailed("Not connected") }

// handlerError turns a Handler's error into the answer to the client.
func handlerError(err error) *dbus.Error {
	var de *dbus.Error
	if errors.As(err, &de) {
		return de
	}
	var dv dbus.Error
	if errors.As(err, &dv) {
		return &dv
	}
	return errFailed(err.Error())
}

func (z *BlueZ) charRead(n node, call Call) ([]any, *dbus.Error) {
	c := n.(*char)
	opts := call.Args[0].(map[string]dbus.Variant)
	offset := 0
	if v, ok := opts["offset"]; ok {
		o, ok := v.Value().(uint16)
		if !ok {
			return nil, errInvalidArguments("Invalid arguments in method call")
		}
		offset = int(o)
	}
	z.mu.Lock()
	if c.gone {
		z.mu.Unlock()
		return nil, errNotConnected()
	}
	if !c.has("read") {
		z.mu.Unlock()
		return nil, errNotPermitted("Read not permitted")
	}
	h := c.s.d.handler
	z.mu.Unlock()
	data, err := h.Read(c.uuid)
	if err != nil {
		return nil, handlerError(err)
	}
	if offset > len(data) {
		return nil, dbus.NewError("org.bluez.Error.InvalidOffset", []any{"Invalid offset"})
	}
	return []any{append([]byte{}, data[offset:]...)}, nil
}

func (z *BlueZ) charWrite(n node, call Call) ([]any, *dbus.Error) {
	c := n.(*char)
	data := slices.Clone(call.Args[0].([]byte))
	opts := call.Args[1].(map[string]dbus.Variant)
	typ := ""
	if v, ok := opts["type"]; ok {
		typ, _ = v.Value().(string)
		if typ != "command" && typ != "request" && typ != "reliable" {
			return nil, errInvalidArguments("Invalid arguments in method call")
		}
	}
	var withResponse bool
	switch {
	case typ == "command" && c.has("write-without-response"):
	case typ != "command" && c.has("write"):
		withResponse = true
	case typ == "" && c.has("write-without-response"):
		// BlueZ writes without response when that is all the
		// characteristic allows.
	default:
		return nil, errNotSupported("Operation is not supported")
	}
	z.mu.Lock()
	if c.gone {
		z.mu.Unlock()
		return nil, errNotConnected()
	}
	d := c.s.d
	f, link, h := d.faults, d.link, d.handler
	z.mu.Unlock()
	switch {
	case f.failWrites:
		return nil, errFailed("Operation failed with ATT error: 0x0e")
	case f.hangWrites && withResponse:
		select {
		case <-link:
		case <-z.done:
		}
		return nil, errNotConnected()
	}
	if err := h.Write(c.uuid, data, withResponse); err != nil {
		return nil, handlerError(err)
	}
	return nil, nil
}

func (z *BlueZ) charStartNotify(n node, call Call) ([]any, *dbus.Error) {
	c := n.(*char)
	z.mu.Lock()
	switch {
	case c.gone:
		z.mu.Unlock()
		return nil, errNotConnected()
	case !c.has("notify") && !c.has("indicate"):
		z.mu.Unlock()
		return nil, errNotSupported("Operation is not supported")
	case c.notifiers[call.Sender]:
		// BlueZ answers a client's second StartNotify with success.
		z.mu.Unlock()
		return nil, nil
	}
	first := len(c.notifiers) == 0
	if c.notifiers == nil {
		c.notifiers = map[string]bool{}
	}
	// Notifying before the handler runs lets what the peripheral sends
	// right after subscribing (a simulated device's greeting) reach the
	// client, as BlueZ registers for notifications before writing the
	// CCCD.
	c.notifiers[call.Sender] = true
	h := c.s.d.handler
	z.mu.Unlock()
	if !first {
		return nil, nil
	}
	err := h.StartNotify(c.uuid)
	z.mu.Lock()
	defer z.mu.Unlock()
	if err != nil {
		delete(c.notifiers, call.Sender)
		return nil, handlerError(err)
	}
	if !c.gone && len(c.notifiers) > 0 {
		z.changed(c.path, ifaceChar, map[string]any{"Notifying": true})
	}
	return nil, nil
}

func (z *BlueZ) charStopNotify(n node, call Call) ([]any, *dbus.Error) {
	c := n.(*char)
	z.mu.Lock()
	if c.gone {
		z.mu.Unlock()
		return nil, errNotConnected()
	}
	if !c.notifiers[call.Sender] {
		z.mu.Unlock()
		return nil, errFailed("No notify session started")
	}
	delete(c.notifiers, call.Sender)
	last := len(c.notifiers) == 0
	if last {
		z.changed(c.path, ifaceChar, map[string]any{"Notifying": false})
	}
	h := c.s.d.handler
	z.mu.Unlock()
	if last {
		_ = h.StopNotify(c.uuid)
	}
	return nil, nil
}
