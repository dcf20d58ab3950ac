// Package serial is the serial-port communication manager (TCode
// strokers, Kizuna, Next Level Racing, Nobra...), on go.bug.st/serial.
//
// Serial ports cannot tell what is attached to them, so, as in buttplug-rs,
// a device is where the user device configuration says one is: a serial
// specifier naming a real port for a protocol,
//
//	"user_configs": {"protocols": {"tcode-v03": {"communication": [
//	  {"serial": {"port": "/dev/ttyUSB0", "baud_rate": 115200, "data_bits": 8, "parity": "N", "stop_bits": 1}}]}}}
//
// A scan reports each such port that exists; nothing is opened until the
// device layer connects. Settings the user leaves out come from the
// protocol's own serial specifier (port "default") of the base
// configuration. A connection has the endpoints tx (bytes written to the
// port) and rx (bytes the device sends, as notifications once subscribed,
// else for Read).
package serial

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"go.bug.st/serial"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// DefaultPort is the port name of the base configuration's serial
// specifiers: a placeholder for "wherever the user says", never opened.
const DefaultPort = "default"

// Errors Connect wraps when a port cannot be opened.
var (
	ErrNotFound   = errors.New("not found")
	ErrBusy       = errors.New("busy")
	ErrPermission = errors.New("permission denied")
	ErrNotSerial  = errors.New("not a serial port")
	ErrSettings   = errors.New("invalid serial settings")
)

type options struct {
	log *slog.Logger
}

// Option configures a Manager.
type Option func(*options)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Manager is the serial comm.Manager. It is safe for concurrent use.
type Manager struct {
	db  *config.DB
	log *slog.Logger

	events chan comm.Event
	done   chan struct{}
	wg     sync.WaitGroup // scan reports and opens under way

	mu     sync.Mutex
	closed bool
	// ports holds the ports open or being opened (nil while opening), so
	// that a scan does not report them again and no port is opened twice.
	ports map[string]*hardware
}

var _ comm.Manager = (*Manager)(nil)

// New returns a manager of the serial devices db's user configuration
// names. It opens nothing.
func New(db *config.DB, opts ...Option) (*Manager, error) {
	if db == nil {
		return nil, errors.New("serial: no device configuration")
	}
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		db:     db,
		log:    o.log,
		events: make(chan comm.Event, 16),
		done:   make(chan struct{}),
		ports:  map[string]*hardware{},
	}
	return m, nil
}

// Name returns "serial".
func (m *Manager) Name() string { return "serial" }

// Events delivers found devices and ScanFinished. It is closed by Close.
func (m *Manager) Events() <-chan comm.Event { return m.events }

// StartScanning reports every configured port that exists and is not
// connected, then ScanFinished: a scan of serial ports ends by itself at
// once. A configured port that does not exist is logged and skipped.
func (m *Manager) StartScanning(ctx context.Context) error {
	list := m.configured()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return comm.ErrClosed
	}
	events := make([]comm.Event, 0, len(list)+1)
	for _, f := range list {
		if _, busy := m.ports[f.spec.Port]; busy {
			continue
		}
		if err := exists(f.spec.Port); err != nil {
			m.log.Warn("serial port skipped: it does not exist", "port", f.spec.Port, "protocol", f.protocol, "err", err)
			continue
		}
		events = append(events, comm.Event{Kind: comm.DeviceFound, Device: f})
	}
	events = append(events, comm.Event{Kind: comm.ScanFinished})
	// Reported aside, so that the caller never waits for the reader of
	// Events.
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for _, e := range events {
			select {
			case m.events <- e:
			case <-m.done:
				return
			}
		}
	}()
	return nil
}

// StopScanning does nothing but check the manager is open: a scan ends
// by itself.
func (m *Manager) StopScanning(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return comm.ErrClosed
	}
	return nil
}

// Close disconnects every device and closes Events. It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	var open []*hardware
	for _, h := range m.ports {
		if h != nil {
			open = append(open, h)
		}
	}
	m.mu.Unlock()
	var errs []error
	for _, h := range open {
		if err := h.Disconnect(); err != nil {
			errs = append(errs, err)
		}
	}
	m.wg.Wait()
	close(m.events)
	return errors.Join(errs...)
}

// configured lists the ports the configuration names, one per port: the
// first protocol (by name) naming a port describes it, with the settings
// it leaves out taken from that protocol's default specifier.
func (m *Manager) configured() []*found {
	names := map[string]string{}
	defsLoaded := false
	seen := map[string]bool{}
	var out []*found
	for _, p := range m.db.Protocols() {
		specs := m.db.Communication(p)
		var base *config.SerialSpecifier
		for _, s := range specs {
			if s.Serial != nil && isDefault(s.Serial.Port) {
				base = s.Serial
				break
			}
		}
		for _, s := range specs {
			if s.Serial == nil || isDefault(s.Serial.Port) || seen[s.Serial.Port] {
				continue
			}
			seen[s.Serial.Port] = true
			if !defsLoaded {
				// Definition names only matter when a port is configured,
				// which is rare; Definitions copies every model.
				for _, d := range m.db.Definitions() {
					if len(d.Identifiers) == 0 && d.Name != "" {
						names[d.Protocol] = d.Name
					}
				}
				defsLoaded = true
			}
			name := names[p]
			if name == "" {
				name = p
			}
			out = append(out, &found{m: m, protocol: p, spec: withDefaults(*s.Serial, base), name: name})
		}
	}
	return out
}

func isDefault(port string) bool {
	return port == "" || strings.EqualFold(port, DefaultPort)
}

// withDefaults fills the settings s leaves out from base, then from the
// usual 9600 8N1.
func withDefaults(s config.SerialSpecifier, base *config.SerialSpecifier) config.SerialSpecifier {
	if base != nil {
		if s.BaudRate == 0 {
			s.BaudRate = base.BaudRate
		}
		if s.DataBits == 0 {
			s.DataBits = base.DataBits
		}
		if s.StopBits == 0 {
			s.StopBits = base.StopBits
		}
		if s.Parity == "" {
			s.Parity = base.Parity
		}
	}
	if s.BaudRate == 0 {
		s.BaudRate = 9600
	}
	if s.DataBits == 0 {
		s.DataBits = 8
	}
	if s.StopBits == 0 {
		s.StopBits = 1
	}
	if s.Parity == "" {
		s.Parity = "N"
	}
	return s
}

// exists checks that a port is there before it is reported. Windows port
// names (COM3) are not files, so there the open is what tells.
func exists(port string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	_, err := os.Stat(port)
	return err
}

// mode converts the configuration's settings into go.bug.st/serial's.
func mode(s config.SerialSpecifier) (*serial.Mode, error) {
	md := &serial.Mode{BaudRate: int(s.BaudRate), DataBits: int(s.DataBits)}
	if s.DataBits < 5 || s.DataBits > 8 {
		return nil, fmt.Errorf("%w: %d data bits (5 to 8)", ErrSettings, s.DataBits)
	}
	switch strings.ToUpper(s.Parity) {
	case "N", "NONE":
		md.Parity = serial.NoParity
	case "E", "EVEN":
		md.Parity = serial.EvenParity
	case "O", "ODD":
		md.Parity = serial.OddParity
	case "M", "MARK":
		md.Parity = serial.MarkParity
	case "S", "SPACE":
		md.Parity = serial.SpaceParity
	default:
		return nil, fmt.Errorf("%w: parity %q (N, E, O, M or S)", ErrSettings, s.Parity)
	}
	switch s.StopBits {
	case 1:
		md.StopBits = serial.OneStopBit
	case 2:
		md.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("%w: %d stop bits (1 or 2)", ErrSettings, s.StopBits)
	}
	return md, nil
}

// found is a configured port that exists.
type found struct {
	m        *Manager
	protocol string
	spec     config.SerialSpecifier
	name     string
}

func (f *found) Advertisement() comm.Advertisement {
	return comm.Advertisement{Bus: comm.BusSerial, Name: f.name, Address: f.spec.Port, Port: f.spec.Port}
}

// Connect opens the port with the configured settings. The endpoints are
// those of tx and rx that services asks for.
func (f *found) Connect(ctx context.Context, services comm.ServiceMap) (comm.Hardware, error) {
	port := f.spec.Port
	eps := map[comm.Endpoint]bool{}
	for _, ep := range services.Endpoints() {
		if ep == comm.EndpointTx || ep == comm.EndpointRx {
			eps[ep] = true
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("serial port %s: %w", port, comm.ErrNoEndpoints)
	}
	md, err := mode(f.spec)
	if err != nil {
		return nil, fmt.Errorf("serial port %s: %w", port, err)
	}
	m := f.m
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, comm.ErrClosed
	}
	if _, busy := m.ports[port]; busy {
		m.mu.Unlock()
		// Root ignores TIOCEXCL, so the open would not refuse it.
		return nil, &openError{port: port, kind: ErrBusy, hint: "it is connected already"}
	}
	m.ports[port] = nil
	m.wg.Add(1)
	m.mu.Unlock()

	// Opening a tty can block (a driver waiting for its hardware), so it
	// runs aside; when ctx ends first it is abandoned, and closes what it
	// opened.
	type result struct {
		p   serial.Port
		err error
	}
	res := make(chan result)
	abandon := make(chan struct{})
	go func() {
		defer m.wg.Done()
		p, err := serial.Open(port, md)
		if err == nil {
			// Reads wake this often to notice a disconnect; see reader.
			if err = p.SetReadTimeout(pollInterval); err != nil {
				_ = p.Close()
				p, err = nil, &openError{port: port, kind: ErrNotSerial, cause: err}
			}
		} else {
			err = classify(port, err)
		}
		select {
		case res <- result{p, err}:
		case <-abandon:
			if p != nil {
				_ = p.Close()
			}
			m.release(port, nil)
		}
	}()
	var r result
	select {
	case r = <-res:
	case <-ctx.Done():
		close(abandon)
		return nil, fmt.Errorf("open serial port %s: %w", port, ctx.Err())
	case <-m.done:
		close(abandon)
		return nil, comm.ErrClosed
	}
	if r.err != nil {
		m.release(port, nil)
		return nil, r.err
	}
	h := newHardware(m, f.name, port, r.p, eps)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		_ = h.Disconnect()
		return nil, comm.ErrClosed
	}
	m.ports[port] = h
	m.mu.Unlock()
	return h, nil
}

// release forgets port once h (nil: an open that failed) no longer holds
// it, so the next scan reports it again.
func (m *Manager) release(port string, h *hardware) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.ports[port]; ok && cur == h {
		delete(m.ports, port)
	}
}

// openError is a port that could not be opened: what went wrong, named by
// one of the Err values, and what to do about it.
type openError struct {
	port  string
	kind  error
	hint  string
	cause error
}

func (e *openError) Error() string {
	s := fmt.Sprintf("open serial port %s: %v", e.port, e.kind)
	if e.hint != "" {
		s += ": " + e.hint
	}
	if e.cause != nil {
		s += fmt.Sprintf(" (%v)", e.cause)
	}
	return s
}

func (e *openError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// classify turns an error of serial.Open into one line naming the port and
// the fix.
func classify(port string, err error) error {
	var pe *serial.PortError
	code := serial.PortErrorCode(-1)
	if errors.As(err, &pe) {
		code = pe.Code()
	}
	switch {
	case code == serial.PermissionDenied || errors.Is(err, fs.ErrPermission):
		hint := "add the user to the dialout group (uucp on Arch) and log in again"
		if runtime.GOOS != "linux" {
			hint = "give the user access to the port"
		}
		return &openError{port: port, kind: ErrPermission, hint: hint}
	case code == serial.PortBusy || errors.Is(err, syscall.EBUSY):
		return &openError{port: port, kind: ErrBusy, hint: "another program has it open; close that program"}
	case code == serial.PortNotFound || errors.Is(err, fs.ErrNotExist):
		return &openError{port: port, kind: ErrNotFound, hint: "plug the device in, or fix the port in the user device configuration"}
	case code == serial.InvalidSerialPort || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTTY):
		return &openError{port: port, kind: ErrNotSerial, hint: "fix the port in the user device configuration", cause: err}
	case code == serial.InvalidSpeed || code == serial.InvalidDataBits || code == serial.InvalidParity || code == serial.InvalidStopBits:
		return &openError{port: port, kind: ErrSettings, hint: "the port refuses the configured settings", cause: err}
	}
	return fmt.Errorf("open serial port %s: %w", port, err)
}
