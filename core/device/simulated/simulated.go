// Package simulated is a communication manager of simulated devices. A
// simulated device is created from a device name of the configuration
// ("Lovense Hush"): it advertises what the real one advertises, answers the
// identification handshake its protocol needs, and records every write,
// subscribe and read it receives, so tests, the command line and users can
// see the exact bytes a real toy would get.
//
// Scripted devices (AddAdvertised) answer nothing by themselves; their
// notifications and read results are injected with Notify and QueueRead,
// which is how the protocol test vectors drive them. Any device can be made
// to hang (reads and, optionally, writes never complete) or to disconnect,
// for fault tests.
package simulated

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/protocols"
)

// DefaultBattery is the battery level of a new simulated device.
const DefaultBattery = 85

// Manager is the simulated communication manager. It is safe for concurrent
// use.
type Manager struct {
	db         *config.DB
	scanFinish bool

	mu       sync.Mutex
	devices  []*Device
	scanning bool
	closed   bool
	nextAddr int
	observer func(*Device, Record)

	events chan comm.Event
	done   chan struct{}
	wg     sync.WaitGroup
}

var _ comm.Manager = (*Manager)(nil)

// Option configures a Manager.
type Option func(*Manager)

// WithEndlessScan makes scans run until StopScanning, like a real radio,
// instead of ending by themselves once every device was reported.
func WithEndlessScan() Option { return func(m *Manager) { m.scanFinish = false } }

// WithObserver calls f for every operation any device of the manager
// receives (bphost serve --simulate prints them). f must not block.
func WithObserver(f func(*Device, Record)) Option { return func(m *Manager) { m.observer = f } }

// New returns a simulated manager that creates devices from db.
func New(db *config.DB, opts ...Option) *Manager {
	m := &Manager{db: db, scanFinish: true, events: make(chan comm.Event, 16), done: make(chan struct{})}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "simulated".
func (m *Manager) Name() string { return "simulated" }

// Events delivers found devices and the end of scans.
func (m *Manager) Events() <-chan comm.Event { return m.events }

// Devices returns the simulated devices in the order they were added.
func (m *Manager) Devices() []*Device {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Device(nil), m.devices...)
}

// DeviceOption configures a simulated device.
type DeviceOption func(*Device)

// WithAddress sets the device address (default SIM-<n>).
func WithAddress(a string) DeviceOption { return func(d *Device) { d.adv.Address = a } }

// WithBattery sets the battery level.
func WithBattery(level int32) DeviceOption { return func(d *Device) { d.state.Battery = level } }

// ErrNoProtocol means a device's protocol has no implementation, so a
// simulated device of it could never connect.
var ErrNoProtocol = errors.New("protocol not implemented")

// Add creates a device from a device name of the configuration, e.g.
// "Lovense Hush". When several protocols have a model of that name, the
// first one implemented is used. When scanning, it is reported at once.
func (m *Manager) Add(name string, opts ...DeviceOption) (*Device, error) {
	defs := m.db.FindByName(name)
	if len(defs) == 0 {
		return nil, fmt.Errorf("simulated: no device named %q in the device configuration", name)
	}
	for _, def := range defs {
		if _, ok := protocols.Lookup(def.Protocol); ok {
			return m.AddDefinition(def, opts...)
		}
	}
	return m.AddDefinition(defs[0], opts...)
}

// AddDefinition creates a device of a definition from the configuration.
// It fails with ErrNoProtocol when the definition's protocol has no
// implementation.
func (m *Manager) AddDefinition(def *config.Definition, opts ...DeviceOption) (*Device, error) {
	if _, ok := protocols.Lookup(def.Protocol); !ok {
		return nil, fmt.Errorf("simulated: cannot simulate %q: protocol %s: %w", def.Name, def.Protocol, ErrNoProtocol)
	}
	ident := ""
	if len(def.Identifiers) > 0 {
		ident = def.Identifiers[0]
	}
	adv, gatt, err := m.advertisement(def, ident)
	if err != nil {
		return nil, err
	}
	sim, _ := protocols.LookupSimulator(def.Protocol)
	d := newDevice(m, adv, sim)
	d.gatt = gatt
	d.def = def
	d.state.Identifier = ident
	for _, o := range opts {
		o(d)
	}
	m.add(d)
	return d, nil
}

// AddAdvertised creates a scripted device that advertises adv and answers
// nothing by itself. An empty address gets SIM-<n>; an empty bus is BLE.
func (m *Manager) AddAdvertised(adv comm.Advertisement, opts ...DeviceOption) *Device {
	if adv.Bus == "" {
		adv.Bus = comm.BusBLE
	}
	d := newDevice(m, adv, nil)
	for _, o := range opts {
		o(d)
	}
	m.add(d)
	return d
}

func (m *Manager) add(d *Device) {
	m.mu.Lock()
	if d.adv.Address == "" {
		m.nextAddr++
		d.adv.Address = fmt.Sprintf("SIM-%d", m.nextAddr)
	}
	m.devices = append(m.devices, d)
	report := m.scanning && !m.closed
	m.mu.Unlock()
	if report {
		m.report([]*Device{d}, false)
	}
}

// advertisement works out what a real device of def advertises: the
// services and manufacturer data of its protocol's configuration, and a name
// the configuration routes to that protocol (its identifier when that works,
// as most protocols identify models by name). It also returns the GATT
// services the device has.
func (m *Manager) advertisement(def *config.Definition, ident string) (comm.Advertisement, []string, error) {
	routes := func(adv comm.Advertisement) bool {
		ms := m.db.Match(adv)
		return len(ms) > 0 && ms[0].Protocol == def.Protocol
	}
	specs := m.db.Communication(def.Protocol)
	for _, s := range specs {
		if s.BLE == nil {
			continue
		}
		adv := comm.Advertisement{Bus: comm.BusBLE, Services: append([]string(nil), s.BLE.AdvertisedServices...)}
		if len(s.BLE.ManufacturerData) > 0 {
			adv.ManufacturerData = map[uint16][]byte{}
			for _, md := range s.BLE.ManufacturerData {
				adv.ManufacturerData[md.Company] = append([]byte(nil), md.Data...)
			}
		}
		var candidates []string
		if sim, ok := protocols.LookupSimulator(def.Protocol); ok {
			sim.Advertise(def, ident, &adv)
			if adv.Name != "" {
				candidates = append(candidates, adv.Name)
			}
		}
		candidates = append(candidates, def.Identifiers...)
		for _, n := range s.BLE.Names {
			if p, ok := strings.CutSuffix(n, "*"); ok {
				candidates = append(candidates, p+"SIM")
			} else {
				candidates = append(candidates, n)
			}
		}
		var gatt []string
		for svc := range s.BLE.Services {
			gatt = append(gatt, svc)
		}
		// A name routes when the protocol is among the matches: the device
		// only has its protocol's services, so other protocols fail to
		// connect and the manager moves on to this one.
		for _, name := range candidates {
			adv.Name = name
			for _, mt := range m.db.Match(adv) {
				if mt.Protocol == def.Protocol {
					return adv, gatt, nil
				}
			}
		}
	}
	// Other buses have nothing to refuse a wrong protocol with: the match
	// must be unambiguous.
	for _, s := range specs {
		var adv comm.Advertisement
		switch {
		case s.Serial != nil:
			adv = comm.Advertisement{Bus: comm.BusSerial, Name: def.Name, Port: s.Serial.Port}
		case s.Websocket != nil:
			adv = comm.Advertisement{Bus: comm.BusWebsocket, Name: s.Websocket.Name}
		case s.HID != nil && len(s.HID.Pairs) > 0:
			adv = comm.Advertisement{Bus: comm.BusHID, Name: def.Name, VendorID: s.HID.Pairs[0].VendorID, ProductID: s.HID.Pairs[0].ProductID}
		case s.USB != nil && len(s.USB.Pairs) > 0:
			adv = comm.Advertisement{Bus: comm.BusUSB, Name: def.Name, VendorID: s.USB.Pairs[0].VendorID, ProductID: s.USB.Pairs[0].ProductID}
		default:
			continue
		}
		if ms := m.db.Match(adv); len(ms) == 1 && routes(adv) {
			return adv, nil, nil
		}
	}
	return comm.Advertisement{}, nil, fmt.Errorf("simulated: cannot advertise %q: no name routes to protocol %s", def.Name, def.Protocol)
}

// StartScanning reports every device that is not connected; unless the
// manager scans endlessly, the scan then ends by itself.
func (m *Manager) StartScanning(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return comm.ErrClosed
	}
	m.scanning = true
	var list []*Device
	for _, d := range m.devices {
		if !d.Connected() {
			list = append(list, d)
		}
	}
	m.mu.Unlock()
	m.report(list, m.scanFinish)
	return nil
}

// report sends DeviceFound for list (and ScanFinished) from a goroutine of
// the manager, so callers never wait for the reader.
func (m *Manager) report(list []*Device, finish bool) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		for _, d := range list {
			select {
			case m.events <- comm.Event{Kind: comm.DeviceFound, Device: d}:
			case <-m.done:
				return
			}
		}
		if !finish {
			return
		}
		m.mu.Lock()
		still := m.scanning
		m.scanning = false
		m.mu.Unlock()
		if still {
			select {
			case m.events <- comm.Event{Kind: comm.ScanFinished}:
			case <-m.done:
			}
		}
	}()
}

// StopScanning stops reporting devices.
func (m *Manager) StopScanning(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return comm.ErrClosed
	}
	m.scanning = false
	return nil
}

// Close disconnects every device and closes Events.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.scanning = false
	devs := append([]*Device(nil), m.devices...)
	close(m.done)
	m.mu.Unlock()
	for _, d := range devs {
		d.Disconnect()
	}
	m.wg.Wait()
	close(m.events)
	return nil
}

func (m *Manager) observe(d *Device, r Record) {
	if m.observer != nil {
		m.observer(d, r)
	}
}

// RecordKind says what a simulated device received.
type RecordKind int

// Record kinds.
const (
	RecordWrite RecordKind = iota + 1
	RecordSubscribe
	RecordUnsubscribe
	RecordRead
)

// String names the kind ("write", "subscribe"...).
func (k RecordKind) String() string {
	switch k {
	case RecordWrite:
		return "write"
	case RecordSubscribe:
		return "subscribe"
	case RecordUnsubscribe:
		return "unsubscribe"
	case RecordRead:
		return "read"
	}
	return "?"
}

// Record is one operation a simulated device received.
type Record struct {
	Kind     RecordKind
	Endpoint comm.Endpoint
	// Data is what was written (or what a read returned).
	Data         []byte
	WithResponse bool
	Time         time.Time
}

// String renders the record with its bytes, and the text when printable:
// write tx "Vibrate:10;" [86 105 98 ...].
func (r Record) String() string {
	switch r.Kind {
	case RecordSubscribe, RecordUnsubscribe:
		return fmt.Sprintf("%s %s", r.Kind, r.Endpoint)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Kind, r.Endpoint)
	if r.WithResponse {
		b.WriteString(" (with response)")
	}
	if printable(r.Data) {
		fmt.Fprintf(&b, " %q", r.Data)
	}
	fmt.Fprintf(&b, " %v", r.Data)
	return b.String()
}

func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' || c > 0x7e {
			return false
		}
	}
	return true
}
