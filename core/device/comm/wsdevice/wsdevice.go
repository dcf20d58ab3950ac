// Package wsdevice is the device websocket server: Intiface's way for DIY
// firmware, software toys and bridges to appear as devices. A device dials
// in (default ws://127.0.0.1:54817), sends one text message introducing
// itself,
//
//	{"identifier": "LVSDevice", "address": "8A3F2C01", "version": 0}
//
// and from then on the protocol's bytes flow both ways as binary messages:
// what the server writes to the device's tx endpoint, and what the device
// sends, delivered as notifications of its rx endpoint. The identifier is
// matched against the websocket specifiers of the device configuration,
// usually a user configuration:
//
//	"user_configs": {"protocols": {"lovense": {"communication": [
//	  {"websocket": {"name": "LVSDevice"}}]}}}
//
// A device that sends no identify frame in time, a malformed one, or an
// identifier no protocol claims is closed with a close frame saying why,
// and logged. Devices are reported when they connect, scanning or not (a
// scan ends at once); a device that goes away disconnects, and the device
// layer removes it.
//
// Unlike Intiface Engine, which always listens on every interface, the
// server listens on loopback unless given another address. Any origin is
// accepted, as in the Engine: devices are not browsers.
package wsdevice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// ErrListen is wrapped by New when the address cannot be listened on
// (in use, not permitted, not an address).
var ErrListen = errors.New("device websocket server: cannot listen")

// DefaultPort is Intiface's device websocket server port.
const DefaultPort = 54817

// DefaultAddr is where the server listens unless told otherwise.
var DefaultAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(DefaultPort))

// Defaults of the options.
const (
	DefaultIdentifyTimeout = 5 * time.Second
	DefaultPingInterval    = 10 * time.Second
	DefaultClaimTimeout    = 30 * time.Second
	DefaultWriteTimeout    = 5 * time.Second
)

// Close codes and reasons a device may see.
const (
	reasonNoIdentify = "no identify frame within %v"
	reasonNotText    = "the first message must be the identify frame, as text"
	reasonUnknown    = "identifier %q: no protocol claims it (add a websocket specifier to the user device config)"
	reasonDuplicate  = "address %q is connected already"
	reasonUnclaimed  = "no protocol took the device"
	reasonShutdown   = "server shutting down"
	reasonDisconnect = "disconnected by the server"
)

type options struct {
	log          *slog.Logger
	identify     time.Duration
	ping         time.Duration
	claim        time.Duration
	writeTimeout time.Duration
}

// Option configures a Manager.
type Option func(*options)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithIdentifyTimeout sets how long a device has to send its identify
// frame (default DefaultIdentifyTimeout).
func WithIdentifyTimeout(d time.Duration) Option { return func(o *options) { o.identify = d } }

// WithPingInterval sets how often devices are pinged; one that answers
// nothing (not even a pong) for two intervals is gone (default
// DefaultPingInterval).
func WithPingInterval(d time.Duration) Option { return func(o *options) { o.ping = d } }

// WithClaimTimeout sets how long an identified device waits for the device
// layer to connect it before it is closed (default DefaultClaimTimeout):
// the configuration matched, but no protocol implementation took it.
func WithClaimTimeout(d time.Duration) Option { return func(o *options) { o.claim = d } }

// WithWriteTimeout bounds a write to a device (default DefaultWriteTimeout).
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// Manager is the device websocket server as a comm.Manager. It owns the
// listener's goroutine and two per connected device; Close stops them
// all. It is safe for concurrent use.
type Manager struct {
	db  *config.DB
	opt options
	log *slog.Logger

	ln     net.Listener
	srv    *http.Server
	up     websocket.Upgrader
	events chan comm.Event
	done   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	conns   map[*hardware]struct{}
	address map[string]*hardware // identified devices by address
}

var _ comm.Manager = (*Manager)(nil)

// New listens on addr ("" for DefaultAddr; port 0 picks one, see Addr) and
// serves devices db's websocket specifiers recognise. It fails when the
// address cannot be listened on.
func New(db *config.DB, addr string, opts ...Option) (*Manager, error) {
	if db == nil {
		return nil, errors.New("device websocket server: no device configuration")
	}
	o := options{identify: DefaultIdentifyTimeout, ping: DefaultPingInterval, claim: DefaultClaimTimeout, writeTimeout: DefaultWriteTimeout}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w on %s: %w", ErrListen, addr, err)
	}
	m := &Manager{
		db: db, opt: o, log: o.log, ln: ln,
		up: websocket.Upgrader{
			ReadBufferSize: 1024, WriteBufferSize: 1024,
			CheckOrigin: func(*http.Request) bool { return true },
		},
		events:  make(chan comm.Event, 16),
		done:    make(chan struct{}),
		conns:   map[*hardware]struct{}{},
		address: map[string]*hardware{},
	}
	m.srv = &http.Server{
		Handler:           http.HandlerFunc(m.serveHTTP),
		ReadHeaderTimeout: o.identify,
		// What net/http has to say (a bad request line) goes to the log,
		// not to stderr.
		ErrorLog: slog.NewLogLogger(o.log.Handler(), slog.LevelInfo),
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("device websocket server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	m.log.Info("device websocket server listening", "addr", ln.Addr().String())
	return m, nil
}

// Addr is the address the server listens on.
func (m *Manager) Addr() net.Addr { return m.ln.Addr() }

// Name returns "websocket".
func (m *Manager) Name() string { return "websocket" }

// Events delivers devices as they identify, and ScanFinished. It is closed
// by Close.
func (m *Manager) Events() <-chan comm.Event { return m.events }

// StartScanning reports ScanFinished: devices dial in whenever they like
// and are reported then, so there is nothing to scan for.
func (m *Manager) StartScanning(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return comm.ErrClosed
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.emit(comm.Event{Kind: comm.ScanFinished}, nil)
	}()
	return nil
}

// StopScanning does nothing but check the manager is open.
func (m *Manager) StopScanning(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return comm.ErrClosed
	}
	return nil
}

// emit reports e unless the manager closes, or stop (when not nil) does
// first.
func (m *Manager) emit(e comm.Event, stop <-chan struct{}) bool {
	select {
	case m.events <- e:
		return true
	case <-m.done:
	case <-stop:
	}
	return false
}

// Close stops listening, closes every device connection (the devices see
// a going-away close frame), waits for every goroutine and closes Events.
// It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	conns := make([]*hardware, 0, len(m.conns))
	for h := range m.conns {
		conns = append(conns, h)
	}
	m.mu.Unlock()
	err := m.srv.Close()
	// In parallel: a device that does not answer its close frame delays
	// none of the others.
	var shuts sync.WaitGroup
	for _, h := range conns {
		shuts.Go(func() { h.shut(websocket.CloseGoingAway, reasonShutdown) })
	}
	shuts.Wait()
	m.wg.Wait()
	close(m.events)
	if err != nil {
		return fmt.Errorf("device websocket server: close: %w", err)
	}
	return nil
}

// serveHTTP upgrades one device connection and runs it until it ends.
func (m *Manager) serveHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	m.wg.Add(1)
	m.mu.Unlock()
	defer m.wg.Done()
	c, err := m.up.Upgrade(w, r, nil)
	if err != nil {
		m.log.Info("device websocket: upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	c.SetReadLimit(maxMessage)
	h := newHardware(m, c, r.RemoteAddr)
	defer h.finish()
	if !m.track(h) {
		h.reject(websocket.CloseGoingAway, reasonShutdown, true)
		return
	}
	defer m.untrack(h)
	id, ok := h.identify()
	if !ok {
		return
	}
	adv := comm.Advertisement{Bus: comm.BusWebsocket, Name: id.Identifier, Address: id.Address}
	if adv.Address == "" {
		// Without an address, the connection is what tells devices apart.
		adv.Address = "websocket:" + r.RemoteAddr
	}
	if len(m.db.Match(adv)) == 0 {
		h.reject(websocket.ClosePolicyViolation, fmt.Sprintf(reasonUnknown, id.Identifier), true)
		return
	}
	if !m.claimAddress(adv.Address, h) {
		h.reject(websocket.ClosePolicyViolation, fmt.Sprintf(reasonDuplicate, adv.Address), true)
		return
	}
	h.adv = adv
	m.log.Info("device websocket: device identified", "remote", r.RemoteAddr, "identifier", id.Identifier, "address", adv.Address, "version", id.Version)
	h.run()
}

// maxMessage bounds a message from a device; protocol traffic is a few
// bytes a message.
const maxMessage = 64 << 10

func (m *Manager) track(h *hardware) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.conns[h] = struct{}{}
	return true
}

func (m *Manager) untrack(h *hardware) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conns, h)
	if m.address[h.adv.Address] == h {
		delete(m.address, h.adv.Address)
	}
}

func (m *Manager) claimAddress(addr string, h *hardware) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.address[addr]; taken {
		return false
	}
	m.address[addr] = h
	return true
}

// truncate keeps a close reason within the 123 bytes a close frame holds.
func truncate(reason string) string {
	const max = 123
	if len(reason) <= max {
		return reason
	}
	cut := max - 3
	for cut > 0 && reason[cut]&0xc0 == 0x80 {
		cut--
	}
	return reason[:cut] + "..."
}
