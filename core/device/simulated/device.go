package simulated

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/protocols"
)

// Device is one simulated device. It is a comm.FoundDevice; Connect returns
// its one live connection. Its methods are safe for concurrent use.
type Device struct {
	m   *Manager
	adv comm.Advertisement
	sim protocols.Simulator
	def *config.Definition
	// gatt lists the BLE services the device has; nil accepts any.
	gatt []string

	mu         sync.Mutex
	state      protocols.SimState
	records    []Record
	changed    chan struct{} // closed and replaced on every new record or read
	conn       *conn
	reads      []comm.Notification
	hangReads  bool
	hangWrites bool
	blocked    int
	onRecord   []func(Record)
}

var _ comm.FoundDevice = (*Device)(nil)

func newDevice(m *Manager, adv comm.Advertisement, sim protocols.Simulator) *Device {
	return &Device{m: m, adv: adv, sim: sim, state: protocols.SimState{Battery: DefaultBattery}, changed: make(chan struct{})}
}

// Advertisement returns what the device advertises.
func (d *Device) Advertisement() comm.Advertisement { return d.adv }

// Name returns the advertised name.
func (d *Device) Name() string { return d.adv.Name }

// Model returns the configuration's name of the device ("Vorze A10
// Cyclone SA"), which clients see, rather than what it advertises
// ("CycSA"); scripted devices have only the advertised name.
func (d *Device) Model() string {
	if def := d.Definition(); def != nil && def.Name != "" {
		return def.Name
	}
	return d.Name()
}

// Address returns the device address.
func (d *Device) Address() string { return d.adv.Address }

// Definition returns the configuration definition the device simulates, or
// nil for scripted devices.
func (d *Device) Definition() *config.Definition {
	if d.def == nil {
		return nil
	}
	return d.def.Clone()
}

// Connected reports whether the device has a live connection.
func (d *Device) Connected() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn != nil
}

// SetBattery sets the battery level the device reports.
func (d *Device) SetBattery(level int32) {
	d.mu.Lock()
	d.state.Battery = level
	d.mu.Unlock()
}

// HangReads makes reads (and the answers a protocol waits for) never
// complete while on, as a device that stopped answering.
func (d *Device) HangReads(on bool) {
	d.mu.Lock()
	d.hangReads = on
	d.mu.Unlock()
}

// HangWrites makes writes block until their context ends while on.
func (d *Device) HangWrites(on bool) {
	d.mu.Lock()
	d.hangWrites = on
	d.mu.Unlock()
}

// Blocked returns how many operations are stuck in a hang right now.
func (d *Device) Blocked() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.blocked
}

// OnRecord calls f for every operation the device receives. f must not
// block.
func (d *Device) OnRecord(f func(Record)) {
	d.mu.Lock()
	d.onRecord = append(d.onRecord, f)
	d.mu.Unlock()
}

// Records returns what the device received so far, in order.
func (d *Device) Records() []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Record(nil), d.records...)
}

// Writes returns the writes the device received so far, in order.
func (d *Device) Writes() []Record {
	var out []Record
	for _, r := range d.Records() {
		if r.Kind == RecordWrite {
			out = append(out, r)
		}
	}
	return out
}

// WaitRecords waits until the device has received at least n operations
// and returns them all.
func (d *Device) WaitRecords(ctx context.Context, n int) ([]Record, error) {
	for {
		d.mu.Lock()
		if len(d.records) >= n {
			out := append([]Record(nil), d.records...)
			d.mu.Unlock()
			return out, nil
		}
		ch := d.changed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return d.Records(), ctx.Err()
		}
	}
}

// Changed returns a channel closed at the next record, so callers can wait
// for a condition on Records without polling.
func (d *Device) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

// record appends r; d.mu must be held. It returns the hooks to call once
// the lock is released.
func (d *Device) record(r Record) []func(Record) {
	r.Time = time.Now()
	r.Data = append([]byte(nil), r.Data...)
	d.records = append(d.records, r)
	close(d.changed)
	d.changed = make(chan struct{})
	return append([]func(Record){}, d.onRecord...)
}

func (d *Device) notifyHooks(hooks []func(Record), r Record) {
	for _, h := range hooks {
		h(r)
	}
	d.m.observe(d, r)
}

// Notify sends data from the device on ep, as a notification. It is
// delivered only when ep is subscribed, as on real hardware; the result
// says whether it was.
func (d *Device) Notify(ep comm.Endpoint, data []byte) bool {
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c == nil {
		return false
	}
	return c.notify(ep, data)
}

// QueueRead queues data for the next read of ep (reads are answered first
// in, first out).
func (d *Device) QueueRead(ep comm.Endpoint, data []byte) {
	d.mu.Lock()
	d.reads = append(d.reads, comm.Notification{Endpoint: ep, Data: append([]byte(nil), data...)})
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// Disconnect drops the live connection, as a device switched off. The next
// scan finds the device again.
func (d *Device) Disconnect() {
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c != nil {
		_ = c.Disconnect()
	}
}

// Connect opens the device with the endpoints of services. A device made
// from the configuration has its protocol's BLE services only, so another
// protocol whose name pattern it happens to match cannot connect to it, as
// with real hardware.
func (d *Device) Connect(ctx context.Context, services comm.ServiceMap) (comm.Hardware, error) {
	if d.gatt != nil {
		have := comm.ServiceMap{}
		for _, svc := range d.gatt {
			if eps, ok := services[svc]; ok {
				have[svc] = eps
			}
		}
		services = have
	}
	eps := services.Endpoints()
	if len(eps) == 0 {
		return nil, fmt.Errorf("simulated %s: %w", d.adv.Name, comm.ErrNoEndpoints)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		return nil, fmt.Errorf("simulated %s: already connected", d.adv.Name)
	}
	c := &conn{
		d:     d,
		eps:   eps,
		subs:  map[comm.Endpoint]bool{},
		notes: make(chan comm.Notification, 256),
		done:  make(chan struct{}),
	}
	d.conn = c
	return c, nil
}

// conn is one live connection to a simulated device.
type conn struct {
	d    *Device
	eps  []comm.Endpoint
	once sync.Once

	mu     sync.Mutex
	subs   map[comm.Endpoint]bool
	notes  chan comm.Notification
	closed bool
	done   chan struct{}
}

var _ comm.Hardware = (*conn)(nil)

func (c *conn) Name() string                            { return c.d.adv.Name }
func (c *conn) Address() string                         { return c.d.adv.Address }
func (c *conn) Endpoints() []comm.Endpoint              { return append([]comm.Endpoint(nil), c.eps...) }
func (c *conn) Notifications() <-chan comm.Notification { return c.notes }

func (c *conn) has(ep comm.Endpoint) bool {
	for _, e := range c.eps {
		if e == ep {
			return true
		}
	}
	return false
}

func (c *conn) check(ep comm.Endpoint) error {
	select {
	case <-c.done:
		return fmt.Errorf("simulated %s: %w", c.d.adv.Name, comm.ErrDisconnected)
	default:
	}
	if !c.has(ep) {
		return fmt.Errorf("simulated %s: endpoint %s: %w", c.d.adv.Name, ep, comm.ErrUnknownEndpoint)
	}
	return nil
}

// hang blocks until ctx ends or the connection drops.
func (c *conn) hang(ctx context.Context) error {
	d := c.d
	d.mu.Lock()
	d.blocked++
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.blocked--
		d.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return fmt.Errorf("simulated %s: %w", c.d.adv.Name, comm.ErrDisconnected)
	}
}

func (c *conn) Write(ctx context.Context, ep comm.Endpoint, data []byte, withResponse bool) error {
	if err := c.check(ep); err != nil {
		return err
	}
	d := c.d
	d.mu.Lock()
	if d.hangWrites {
		d.mu.Unlock()
		return c.hang(ctx)
	}
	r := Record{Kind: RecordWrite, Endpoint: ep, Data: data, WithResponse: withResponse}
	hooks := d.record(r)
	var replies []comm.Notification
	if d.sim != nil && !d.hangReads {
		replies = d.sim.Respond(&d.state, ep, data)
	}
	d.mu.Unlock()
	d.notifyHooks(hooks, r)
	for _, n := range replies {
		c.notify(n.Endpoint, n.Data)
	}
	return nil
}

func (c *conn) Read(ctx context.Context, ep comm.Endpoint, length int) ([]byte, error) {
	if err := c.check(ep); err != nil {
		return nil, err
	}
	d := c.d
	for {
		d.mu.Lock()
		if d.hangReads {
			d.mu.Unlock()
			return nil, c.hang(ctx)
		}
		if len(d.reads) > 0 {
			next := d.reads[0]
			d.reads = d.reads[1:]
			if next.Endpoint != ep {
				d.mu.Unlock()
				return nil, fmt.Errorf("simulated %s: read of %s answered by data queued for %s", d.adv.Name, ep, next.Endpoint)
			}
			return c.readDone(ep, next.Data)
		}
		if d.sim != nil || d.def != nil {
			// A device made from the configuration answers like the toy,
			// with its protocol's simulation or, for the standard battery
			// characteristic, its battery level.
			if d.sim != nil {
				if data, ok := d.sim.Read(&d.state, ep, length); ok {
					return c.readDone(ep, data)
				}
			}
			if ep == comm.EndpointRxBLEBattery {
				return c.readDone(ep, []byte{byte(d.state.Battery)})
			}
			d.mu.Unlock()
			return nil, fmt.Errorf("simulated %s: nothing to read on %s", d.adv.Name, ep)
		}
		// A scripted device answers when the test queues data.
		ch := d.changed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, fmt.Errorf("simulated %s: %w", d.adv.Name, comm.ErrDisconnected)
		}
	}
}

// readDone records a read answered with data; d.mu is held and released.
func (c *conn) readDone(ep comm.Endpoint, data []byte) ([]byte, error) {
	r := Record{Kind: RecordRead, Endpoint: ep, Data: data}
	hooks := c.d.record(r)
	c.d.mu.Unlock()
	c.d.notifyHooks(hooks, r)
	return append([]byte(nil), data...), nil
}

func (c *conn) Subscribe(ctx context.Context, ep comm.Endpoint) error {
	return c.setSub(ep, true)
}

func (c *conn) Unsubscribe(ctx context.Context, ep comm.Endpoint) error {
	return c.setSub(ep, false)
}

func (c *conn) setSub(ep comm.Endpoint, on bool) error {
	if err := c.check(ep); err != nil {
		return err
	}
	c.mu.Lock()
	c.subs[ep] = on
	c.mu.Unlock()
	var replies []comm.Notification
	c.d.mu.Lock()
	if on && c.d.sim != nil && !c.d.hangReads {
		replies = c.d.sim.Subscribed(&c.d.state, ep)
	}
	c.d.mu.Unlock()
	defer func() {
		for _, n := range replies {
			c.notify(n.Endpoint, n.Data)
		}
	}()
	kind := RecordSubscribe
	if !on {
		kind = RecordUnsubscribe
	}
	r := Record{Kind: kind, Endpoint: ep}
	c.d.mu.Lock()
	hooks := c.d.record(r)
	c.d.mu.Unlock()
	c.d.notifyHooks(hooks, r)
	return nil
}

func (c *conn) notify(ep comm.Endpoint, data []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.subs[ep] {
		return false
	}
	select {
	case c.notes <- comm.Notification{Endpoint: ep, Data: append([]byte(nil), data...)}:
		return true
	default:
		// The reader is far behind; a real radio drops notifications too.
		return false
	}
}

// Disconnect drops the connection: calls fail from now on and the
// notification channel is closed.
func (c *conn) Disconnect() error {
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		close(c.done)
		close(c.notes)
		c.mu.Unlock()
		c.d.mu.Lock()
		if c.d.conn == c {
			c.d.conn = nil
		}
		c.d.mu.Unlock()
	})
	return nil
}
