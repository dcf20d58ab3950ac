// Package btle is the Bluetooth LE communication manager: it scans for
// advertising toys, connects to the one the device layer picks, maps the
// matched protocol's endpoints onto GATT characteristics and moves bytes.
//
// On Linux it speaks to BlueZ (bluetoothd) over the system D-Bus itself, on
// its own connection, with a context on every call. On Windows (WinRT) and
// macOS (CoreBluetooth, which needs cgo) it drives tinygo.org/x/bluetooth.
// Linux does not go through tinygo because its BlueZ code panics on devices
// that advertise no service UUIDs (most BlueZ devices before connection),
// takes no context on calls that can block for ever, and can reorder a burst
// of notifications; a toy backend can afford none of those.
//
// Tests and `make demo-ble` run the Linux path against package fakebluez, a
// BlueZ stand-in on a private dbus-daemon (DBUS_SYSTEM_BUS_ADDRESS).
package btle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
)

// DefaultAdapter is the adapter used when none is named (Linux).
const DefaultAdapter = "hci0"

// ErrUnavailable is wrapped by New when Bluetooth LE cannot be used here:
// no system bus, no BlueZ, no adapter, adapter off, access denied, or an
// unsupported platform. Servers warn and go on without the backend.
var ErrUnavailable = errors.New("bluetooth LE unavailable")

type options struct {
	adapter string
	log     *slog.Logger
}

// Option configures a Manager.
type Option func(*options)

// WithAdapter names the adapter (Linux: "hci0", "hci1"...; ignored
// elsewhere, where the system's default adapter is used).
func WithAdapter(id string) Option { return func(o *options) { o.adapter = id } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// radio is a platform's Bluetooth stack, as the Manager needs it.
type radio interface {
	// startScan starts discovery; report is called for every advertisement
	// seen (duplicates included) until stopScan. ended is called once if the
	// scan ends by itself (adapter off), with the reason.
	startScan(ctx context.Context, report func(comm.Advertisement), ended func(error)) error
	stopScan(ctx context.Context) error
	// connect opens a link to the device of adv, services resolved.
	connect(ctx context.Context, adv comm.Advertisement) (link, error)
	close() error
}

// gattChar names a characteristic: service and characteristic UUIDs, lower
// case.
type gattChar struct{ service, char string }

// link is one connection of a radio.
type link interface {
	// services lists the GATT services and their characteristics.
	services() map[string][]string
	write(ctx context.Context, c gattChar, data []byte, withResponse bool) error
	read(ctx context.Context, c gattChar) ([]byte, error)
	// subscribe turns notifications of c on; deliver is called with each
	// value in order, never concurrently, and must not block.
	subscribe(ctx context.Context, c gattChar, deliver func([]byte)) error
	unsubscribe(ctx context.Context, c gattChar) error
	// lost is closed when the link is gone (peer dropped it, adapter off,
	// or disconnect).
	lost() <-chan struct{}
	disconnect() error
}

// Manager is the Bluetooth LE comm.Manager. It is safe for concurrent use.
type Manager struct {
	r   radio
	log *slog.Logger

	events chan comm.Event
	done   chan struct{}

	mu       sync.Mutex
	scanning bool
	closed   bool
	reported map[string]string // address → fingerprint of what was reported
	pending  []comm.Event      // for the sender goroutine
	wake     chan struct{}
	wg       sync.WaitGroup
	// connecting holds a slot per connection attempt under way.
	connecting chan struct{}
}

// maxConnecting bounds the connection attempts under way at once. A
// controller makes one LE connection at a time anyway, and the bus limits
// the calls a connection may have waiting (128 by default), which a room
// full of toys found in one scan would exceed.
const maxConnecting = 4

var _ comm.Manager = (*Manager)(nil)

// New opens the platform's Bluetooth stack. It fails with an error wrapping
// ErrUnavailable, one line that names the fix, when there is none to use.
func New(ctx context.Context, opts ...Option) (*Manager, error) {
	o := options{adapter: DefaultAdapter}
	for _, f := range opts {
		f(&o)
	}
	if o.adapter == "" {
		o.adapter = DefaultAdapter
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	r, err := newRadio(ctx, o)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		r:          r,
		log:        o.log,
		events:     make(chan comm.Event, 16),
		done:       make(chan struct{}),
		reported:   map[string]string{},
		wake:       make(chan struct{}, 1),
		connecting: make(chan struct{}, maxConnecting),
	}
	m.wg.Add(1)
	go m.send()
	return m, nil
}

// send delivers queued events, so that the radio's signal handling never
// waits for the reader of Events.
func (m *Manager) send() {
	defer m.wg.Done()
	for {
		select {
		case <-m.wake:
		case <-m.done:
			return
		}
		m.mu.Lock()
		batch := m.pending
		m.pending = nil
		m.mu.Unlock()
		for _, e := range batch {
			select {
			case m.events <- e:
			case <-m.done:
				return
			}
		}
	}
}

// queue adds e for the sender; m.mu must be held.
func (m *Manager) queue(e comm.Event) {
	m.pending = append(m.pending, e)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Name returns "btle".
func (m *Manager) Name() string { return "btle" }

// Events delivers found devices, and ScanFinished when a scan ends by
// itself (the adapter went off). It is closed by Close.
func (m *Manager) Events() <-chan comm.Event { return m.events }

// StartScanning starts discovery; it runs until StopScanning, as a radio
// does. Each device is reported once per scan, again when what it
// advertises changes (a name arriving in a later scan response) or after its
// connection dropped.
func (m *Manager) StartScanning(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return comm.ErrClosed
	}
	if m.scanning {
		m.mu.Unlock()
		return nil
	}
	m.scanning = true
	clear(m.reported)
	m.mu.Unlock()
	if err := m.r.startScan(ctx, m.seen, m.scanEnded); err != nil {
		m.mu.Lock()
		m.scanning = false
		m.mu.Unlock()
		return err
	}
	return nil
}

// StopScanning stops discovery; calling it while idle is not an error.
func (m *Manager) StopScanning(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return comm.ErrClosed
	}
	was := m.scanning
	m.scanning = false
	m.mu.Unlock()
	if !was {
		return nil
	}
	return m.r.stopScan(ctx)
}

// seen reports adv unless this scan already reported the same thing.
func (m *Manager) seen(adv comm.Advertisement) {
	fp := fingerprint(adv)
	m.mu.Lock()
	if !m.scanning || m.closed || m.reported[adv.Address] == fp {
		m.mu.Unlock()
		return
	}
	m.reported[adv.Address] = fp
	m.queue(comm.Event{Kind: comm.DeviceFound, Device: &found{m: m, adv: adv}})
	m.mu.Unlock()
}

func (m *Manager) scanEnded(err error) {
	m.mu.Lock()
	if !m.scanning || m.closed {
		m.mu.Unlock()
		return
	}
	m.scanning = false
	m.queue(comm.Event{Kind: comm.ScanFinished})
	m.mu.Unlock()
	m.log.Warn("bluetooth scan ended", "err", err)
}

// forget lets the next advertisement of address be reported again.
func (m *Manager) forget(address string) {
	m.mu.Lock()
	delete(m.reported, address)
	m.mu.Unlock()
}

// Close stops scanning, drops every connection and closes Events. It is
// idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.scanning = false
	close(m.done)
	m.mu.Unlock()
	err := m.r.close()
	m.wg.Wait()
	close(m.events)
	return err
}

// fingerprint is what matching looks at: a change of it is worth a new
// report.
func fingerprint(adv comm.Advertisement) string {
	var b strings.Builder
	b.WriteString(adv.Name)
	svcs := slices.Clone(adv.Services)
	slices.Sort(svcs)
	for _, s := range svcs {
		b.WriteString("|" + s)
	}
	ids := make([]int, 0, len(adv.ManufacturerData))
	for id := range adv.ManufacturerData {
		ids = append(ids, int(id))
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "|%d:%x", id, adv.ManufacturerData[uint16(id)])
	}
	return b.String()
}

// describe names a device in errors: "LVS-Z36 (AA:BB:CC:DD:EE:FF)".
func describe(adv comm.Advertisement) string {
	if adv.Name == "" {
		return adv.Address
	}
	return fmt.Sprintf("%s (%s)", adv.Name, adv.Address)
}

// found is a device seen while scanning.
type found struct {
	m   *Manager
	adv comm.Advertisement
}

func (f *found) Advertisement() comm.Advertisement { return f.adv }

// Connect connects, resolves the GATT services and maps the endpoints of
// services onto the characteristics the device has.
func (f *found) Connect(ctx context.Context, services comm.ServiceMap) (comm.Hardware, error) {
	f.m.mu.Lock()
	closed := f.m.closed
	f.m.mu.Unlock()
	if closed {
		return nil, comm.ErrClosed
	}
	select {
	case f.m.connecting <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("bluetooth: connect to %s timed out waiting for other connections: %w", describe(f.adv), ctx.Err())
	case <-f.m.done:
		return nil, comm.ErrClosed
	}
	l, err := f.m.r.connect(ctx, f.adv)
	<-f.m.connecting
	if err != nil {
		return nil, err
	}
	eps := mapEndpoints(l.services(), services)
	if len(eps) == 0 {
		_ = l.disconnect()
		return nil, fmt.Errorf("bluetooth %s: %w", describe(f.adv), comm.ErrNoEndpoints)
	}
	return newHardware(f.m, f.adv, l, eps), nil
}

// mapEndpoints finds each endpoint of want among the services the device
// has. UUIDs compare case-insensitively; an endpoint whose service or
// characteristic is missing is left out.
func mapEndpoints(have map[string][]string, want comm.ServiceMap) map[comm.Endpoint]gattChar {
	out := map[comm.Endpoint]gattChar{}
	for svc, eps := range want {
		svc = strings.ToLower(svc)
		chars, ok := have[svc]
		if !ok {
			continue
		}
		for ep, ch := range eps {
			ch = strings.ToLower(ch)
			if slices.Contains(chars, ch) {
				out[ep] = gattChar{service: svc, char: ch}
			}
		}
	}
	return out
}
