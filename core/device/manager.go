// Package device is the device layer of the embedded Buttplug server: the
// device manager, connected devices, and the plumbing between communication
// managers (package comm), the configuration database (package config) and
// the protocol implementations (package protocols).
//
// Everything is in spec v4 terms: a device has features, each with outputs
// that take integer steps inside an advertised range and inputs that can be
// read or subscribed. Values outside the advertised range are refused with
// ErrOutOfRange and never reach the hardware.
//
// A typical setup with simulated devices:
//
//	db, _ := config.Default()
//	sim := simulated.New(db)
//	sim.Add("Lovense Hush")
//	m := device.NewManager(db, []comm.Manager{sim})
//	defer m.Close()
//	m.StartScanning(ctx)
//	for e := range m.Events() { ... }
package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/protocols"
	"github.com/bphost/bphost/internal/observers"
)

// Defaults of the manager options.
const (
	DefaultIOTimeout      = 3 * time.Second
	DefaultConnectTimeout = 15 * time.Second
)

type options struct {
	log            *slog.Logger
	ioTimeout      time.Duration
	connectTimeout time.Duration
	gap            time.Duration
	onFail         func(comm.Advertisement, error)
}

// Option configures a Manager.
type Option func(*options)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithIOTimeout bounds every hardware operation of a device command
// (default DefaultIOTimeout).
func WithIOTimeout(d time.Duration) Option { return func(o *options) { o.ioTimeout = d } }

// WithConnectTimeout bounds connecting, identifying and initialising a found
// device (default DefaultConnectTimeout).
func WithConnectTimeout(d time.Duration) Option { return func(o *options) { o.connectTimeout = d } }

// WithDefaultMessageGap sets the message timing gap of devices whose
// configuration gives none (default 0: no throttling).
func WithDefaultMessageGap(d time.Duration) Option { return func(o *options) { o.gap = d } }

// WithConnectFailures calls f whenever a found device could not be brought
// up (no protocol, handshake failed...), with the reason. f must not block.
func WithConnectFailures(f func(adv comm.Advertisement, err error)) Option {
	return func(o *options) { o.onFail = f }
}

// Logger returns the logger opts set (a discarding one when none does), so
// that what is assembled around a Manager logs where it does.
func Logger(opts ...Option) *slog.Logger {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.log
}

// Manager finds, connects and tracks devices through communication managers.
// It owns a goroutine per communication manager, one per connecting device
// and a few per connected device; Close stops them all.
type Manager struct {
	db    *config.DB
	comms []comm.Manager
	opt   options
	log   *slog.Logger

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	events   *eventQueue
	watchers observers.List[Event]

	mu         sync.Mutex
	devices    map[uint32]*Device
	addresses  map[string]bool // connected or connecting
	scanning   bool
	scanActive map[int]bool
	// connecting counts found devices still being brought up; a scan whose
	// managers all ended while some are reports ScanningFinished after the
	// last of them (finishDue), so a client that stops at ScanningFinished
	// sees every device the scan found.
	connecting int
	finishDue  bool
	closed     bool
	closeOnce  sync.Once
}

// NewManager returns a manager over the communication managers, using db to
// recognise devices. It starts listening to the managers at once; scanning
// starts with StartScanning.
func NewManager(db *config.DB, comms []comm.Manager, opts ...Option) *Manager {
	o := options{ioTimeout: DefaultIOTimeout, connectTimeout: DefaultConnectTimeout}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		db:         db,
		comms:      append([]comm.Manager(nil), comms...),
		opt:        o,
		log:        o.log,
		events:     newEventQueue(),
		devices:    map[uint32]*Device{},
		addresses:  map[string]bool{},
		scanActive: map[int]bool{},
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	for i, c := range m.comms {
		m.wg.Add(1)
		go m.listen(i, c)
	}
	return m
}

// DB returns the configuration database the manager uses.
func (m *Manager) DB() *config.DB { return m.db }

// Events delivers device arrivals and departures, the end of scanning and
// subscribed input readings, in order. It is closed by Close.
func (m *Manager) Events() <-chan Event { return m.events.out }

// Watch calls f with every event Events delivers, as it is emitted, until
// the returned stop is called. It is for readers beside the one of Events
// (a control panel next to the server): f runs on the emitting goroutine
// and must not block.
func (m *Manager) Watch(f func(Event)) (stop func()) { return m.watchers.Add(f) }

func (m *Manager) emit(e Event) {
	m.events.push(e)
	m.watchers.Notify(e)
}

// StartScanning starts every communication manager. Calling it while
// scanning is not an error.
func (m *Manager) StartScanning(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.scanning = true
	m.finishDue = false
	for i := range m.comms {
		m.scanActive[i] = true
	}
	m.mu.Unlock()
	var errs []error
	for i, c := range m.comms {
		if err := c.StartScanning(ctx); err != nil {
			errs = append(errs, fmt.Errorf("start scanning on %s: %w", c.Name(), err))
			m.scanEnded(i)
		}
	}
	if len(errs) > 0 && len(errs) == len(m.comms) {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		m.log.Warn("scanning failed", "err", err)
	}
	return nil
}

// StopScanning stops every communication manager; calling it while idle is
// not an error. An explicit stop reports no ScanningFinished.
func (m *Manager) StopScanning(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.scanning = false
	m.finishDue = false
	clear(m.scanActive)
	m.mu.Unlock()
	var errs []error
	for _, c := range m.comms {
		if err := c.StopScanning(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop scanning on %s: %w", c.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Scanning reports whether a scan is running.
func (m *Manager) Scanning() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.scanning
}

func (m *Manager) scanEnded(i int) {
	m.mu.Lock()
	if !m.scanning || !m.scanActive[i] {
		m.mu.Unlock()
		return
	}
	delete(m.scanActive, i)
	finished := len(m.scanActive) == 0
	if finished {
		m.scanning = false
		if m.connecting > 0 {
			m.finishDue, finished = true, false
		}
	}
	m.mu.Unlock()
	if finished {
		m.emit(Event{Kind: ScanningFinished})
	}
}

// Devices returns the connected devices ordered by index.
func (m *Manager) Devices() []*Device {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Device, 0, len(m.devices))
	for _, d := range m.devices {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

// Device returns the connected device with the given index.
func (m *Manager) Device(index uint32) (*Device, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.devices[index]
	return d, ok
}

// StopAll stops every output of every device and ends every input
// subscription. Devices are stopped in parallel, so a hung device delays
// none of the others; the errors of all devices are joined.
func (m *Manager) StopAll(ctx context.Context) error {
	devs := m.Devices()
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.Stop(ctx, nil, true, true)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close stops every device (bounded by the I/O timeout), disconnects them,
// closes the communication managers, waits for every goroutine and closes
// Events. It is idempotent.
func (m *Manager) Close() error {
	var err error
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.scanning = false
		m.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), m.opt.ioTimeout+time.Second)
		err = m.StopAll(ctx)
		cancel()
		m.cancel()
		var errs []error
		if err != nil {
			errs = append(errs, err)
		}
		for _, c := range m.comms {
			if cerr := c.Close(); cerr != nil {
				errs = append(errs, fmt.Errorf("close %s: %w", c.Name(), cerr))
			}
		}
		m.wg.Wait()
		m.events.close()
		err = errors.Join(errs...)
	})
	return err
}

// listen follows one communication manager's events until it closes.
func (m *Manager) listen(i int, c comm.Manager) {
	defer m.wg.Done()
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				return
			}
			switch e.Kind {
			case comm.DeviceFound:
				m.found(e.Device)
			case comm.ScanFinished:
				m.scanEnded(i)
			}
		case <-m.ctx.Done():
			return
		}
	}
}

func (m *Manager) found(fd comm.FoundDevice) {
	adv := fd.Advertisement()
	m.mu.Lock()
	if m.closed || m.addresses[adv.Address] {
		m.mu.Unlock()
		return
	}
	if !m.db.Allowed(adv.Address) {
		m.mu.Unlock()
		m.log.Info("device not allowed by configuration", "device", adv.String())
		if m.opt.onFail != nil {
			m.opt.onFail(adv, fmt.Errorf("address %q: %w", adv.Address, ErrNotAllowed))
		}
		return
	}
	m.addresses[adv.Address] = true
	m.connecting++
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		defer m.connected()
		if err := m.connect(fd, adv); err != nil {
			m.log.Warn("device not connected", "device", adv.String(), "err", err)
			if m.opt.onFail != nil {
				m.opt.onFail(adv, err)
			}
			m.mu.Lock()
			delete(m.addresses, adv.Address)
			m.mu.Unlock()
		}
	}()
}

// connected ends one device's connecting (its DeviceAdded, if any, is
// already emitted) and reports a ScanningFinished that waited for it.
func (m *Manager) connected() {
	m.mu.Lock()
	m.connecting--
	finish := m.connecting == 0 && m.finishDue && !m.closed
	if finish {
		m.finishDue = false
	}
	m.mu.Unlock()
	if finish {
		m.emit(Event{Kind: ScanningFinished})
	}
}

// connect brings a found device up: match, connect, identify, resolve the
// definition, initialise, register.
func (m *Manager) connect(fd comm.FoundDevice, adv comm.Advertisement) error {
	var matches []config.Match
	for _, mt := range m.db.Match(adv) {
		if _, ok := protocols.Lookup(mt.Protocol); ok {
			matches = append(matches, mt)
		}
	}
	if len(matches) == 0 {
		return fmt.Errorf("no supported protocol matches")
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.opt.connectTimeout)
	defer cancel()
	var (
		hw    comm.Hardware
		match config.Match
		errs  []error
	)
	for _, mt := range matches {
		h, err := fd.Connect(ctx, mt.Specifier.Services())
		if err == nil {
			hw, match = h, mt
			break
		}
		errs = append(errs, fmt.Errorf("%s: %w", mt.Protocol, err))
	}
	if hw == nil {
		return fmt.Errorf("connect: %w", errors.Join(errs...))
	}
	l := newLink(hw, adv)
	fail := func(err error) error {
		_ = l.close()
		<-l.done
		return err
	}
	factory, _ := protocols.Lookup(match.Protocol)
	proto := factory()
	ident, err := proto.Identify(ctx, l)
	if err != nil {
		return fail(fmt.Errorf("identify as %s: %w", match.Protocol, err))
	}
	protoName := match.Protocol
	if r, ok := proto.(protocols.Redirector); ok && r.Protocol() != "" {
		protoName = r.Protocol()
	}
	def, err := m.db.Resolve(protoName, ident, adv.Address)
	if err != nil {
		return fail(err)
	}
	handler, err := proto.Init(ctx, l, def)
	if err != nil {
		return fail(fmt.Errorf("initialise %s: %w", def.Name, err))
	}
	gap := m.opt.gap
	if def.MessageGap != nil {
		gap = *def.MessageGap
	}

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		if c, ok := handler.(protocols.Closer); ok {
			c.Close()
		}
		return fail(ErrClosed)
	}
	index := def.Index
	for m.devices[index] != nil {
		index++
	}
	d := newDevice(index, protoName, def, l, handler, gap, m.opt.ioTimeout, m.log, m.emit)
	m.devices[index] = d
	m.wg.Add(1)
	m.mu.Unlock()
	go m.watch(d)

	if _, ok := handler.(protocols.Keepaliver); ok {
		// A device that needs keepalives gets a stop first, so there is a
		// packet to repeat.
		if err := d.Stop(ctx, nil, false, true); err != nil {
			m.log.Warn("initial stop failed", "device", d.String(), "err", err)
		}
	}
	m.log.Info("device connected", "device", d.String(), "protocol", protoName, "identifier", ident)
	m.emit(Event{Kind: DeviceAdded, Device: d, Index: index})
	return nil
}

// watch removes a device once its hardware disconnects, or tears it down
// when the manager closes.
func (m *Manager) watch(d *Device) {
	defer m.wg.Done()
	select {
	case <-d.link.done:
	case <-m.ctx.Done():
		_ = d.link.close()
		d.close()
		<-d.link.done
		return
	}
	d.close()
	m.mu.Lock()
	if m.devices[d.index] == d {
		delete(m.devices, d.index)
	}
	delete(m.addresses, d.link.Address())
	closed := m.closed
	m.mu.Unlock()
	m.log.Info("device disconnected", "device", d.String())
	if !closed {
		m.emit(Event{Kind: DeviceRemoved, Device: d, Index: d.index})
	}
}
