package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/internal/logbridge"
	"github.com/bphost/bphost/pluginapi"
)

// version is the plugin's version; release builds set it with -ldflags -X.
var version = "0.1.0"

// writeLogMessage is the log message of every operation a simulated device
// receives (with log-writes on), for people reading the log. Programs read
// the typed stream of the record-socket option instead.
const writeLogMessage = "simulated device received"

// recordBuffer is how many device records wait for the record socket's
// reader before more are dropped.
const recordBuffer = 1024

// serveFunc opens the server side of one session: it returns the connector
// the plugin's session reads and writes. Tests replace it with a peer.
type serveFunc func(ctx context.Context, opts pluginapi.Options) (connector.Connector, error)

type transport struct {
	serve  serveFunc
	closer io.Closer // what serve keeps between sessions; nil for none
}

func newTransport(serve serveFunc, closer io.Closer) *transport {
	return &transport{serve: serve, closer: closer}
}

// newEmbeddedTransport is the plugin's transport: sessions on an embedded
// server kept between them.
func newEmbeddedTransport() *transport {
	s := &servers{}
	return newTransport(s.serve, s)
}

// Close closes what the transport keeps between sessions; pluginapi calls
// it when the plugin stops.
func (t *transport) Close() error {
	if t.closer == nil {
		return nil
	}
	return t.closer.Close()
}

func (t *transport) Describe() pluginapi.Description {
	return pluginapi.Description{
		Name:    "embedded",
		Version: version,
		Summary: "a Buttplug server inside the plugin process, with simulated devices; no Intiface needed",
		Options: []pluginapi.OptionSpec{
			{Name: "simulate", Help: `devices to simulate, by name in the device config, comma-separated ("Lovense Hush,Lovense Nora")`},
			{Name: "device-config", Help: "device configuration file (v4 JSON); default the built-in copy of the official one"},
			{Name: "user-device-config", Help: "user device configuration file that adds or overrides devices"},
			{Name: "log-writes", Type: pluginapi.OptionBool, Default: "true", Help: "log every write a simulated device receives, at info level"},
			{Name: "record-socket", Help: "Unix socket path where the host listens for what the simulated devices receive: one JSON line per operation, core/embedded.DeviceRecord version 1 (bphost demo uses it)"},
			{Name: "max-ping-time", Type: pluginapi.OptionDuration, Default: "0s", Help: "drop clients that do not ping within this time (0: no ping needed)"},
			{Name: "use-bluetooth-le", Type: pluginapi.OptionBool, Default: "true", Help: "find and drive Bluetooth LE toys (BlueZ on Linux); where none can be reached, a warning and the other devices"},
			{Name: "ble-adapter", Default: embedded.DefaultBLEAdapter, Help: "Bluetooth adapter to use (Linux)"},
			{Name: "use-serial", Type: pluginapi.OptionBool, Default: "false", Help: "drive serial devices on the ports the user device config names"},
			{Name: "use-device-websocket-server", Type: pluginapi.OptionBool, Default: "false", Help: "run the device websocket server (on loopback) for DIY and software devices the user device config names"},
			{Name: "device-websocket-server-port", Type: pluginapi.OptionInt, Default: strconv.Itoa(embedded.DefaultDeviceWebsocketPort), Help: "port of the device websocket server"},
		},
	}
}

func (t *transport) Open(ctx context.Context, opts pluginapi.Options) (pluginapi.Session, error) {
	return t.serve(ctx, opts)
}

// servers keeps the plugin's embedded server between sessions, so that,
// as in Intiface Engine, the devices a client found stay connected for the
// next one (which sees them in its first device list, without scanning);
// every session end still stops every device. A session opened with other
// options gets a new server: the old one closes, ending its session.
type servers struct {
	mu      sync.Mutex
	cur     *embedded.Server
	records io.Closer // cur's record stream
	key     string    // the options cur was made with
}

func (s *servers) serve(ctx context.Context, opts pluginapi.Options) (connector.Connector, error) {
	key := optionsKey(opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.key != key {
		if err := s.closeLocked(); err != nil {
			opts.Logger().Warn("closing the embedded server of other options", "err", err)
		}
	}
	if s.cur == nil {
		e, err := newServer(opts)
		if err != nil {
			return nil, err
		}
		records, err := streamRecords(ctx, opts.String("record-socket"), e)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("%w: %w", pluginapi.ErrInvalidOptions, err), e.Close())
		}
		s.cur, s.records, s.key = e, records, key
	}
	// Closing the connector ends the session once every device stopped.
	conn := s.cur.Connector()
	if err := conn.Connect(ctx); err != nil {
		return nil, err
	}
	return conn, nil
}

// Close shuts the kept server down, disconnecting its devices; a later
// session starts a new one.
func (s *servers) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeLocked()
}

// closeLocked closes the kept server and then its record stream, so the
// stops of the server's close are recorded.
func (s *servers) closeLocked() error {
	if s.cur == nil {
		return nil
	}
	err := errors.Join(s.cur.Close(), s.records.Close())
	s.cur, s.records = nil, nil
	return err
}

// streamRecords sends every operation the simulated devices of e receive
// to the host's record socket at path, as core/embedded.DeviceRecords; with
// no path it does nothing. Closing the result ends the stream.
func streamRecords(ctx context.Context, path string, e *embedded.Server) (io.Closer, error) {
	if path == "" {
		return nopCloser{}, nil
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("record-socket: %w", err)
	}
	rs := embedded.NewRecordStream(deadlineWriter{c}, recordBuffer)
	e.OnRecord(rs.Send)
	return closers{rs, c}, nil
}

// recordWriteTimeout bounds each write to the record socket, so a host
// that stops reading cannot hold the server's close.
const recordWriteTimeout = 2 * time.Second

// deadlineWriter writes to c within recordWriteTimeout per write.
type deadlineWriter struct{ c net.Conn }

func (w deadlineWriter) Write(b []byte) (int, error) {
	if err := w.c.SetWriteDeadline(time.Now().Add(recordWriteTimeout)); err != nil {
		return 0, err
	}
	return w.c.Write(b)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// closers closes each in order and joins their errors.
type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

func optionsKey(opts pluginapi.Options) string {
	vals := opts.Values()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		fmt.Fprintf(&b, "%s=%s\x00", k, vals[k])
	}
	return b.String()
}

// newServer starts an embedded server as the options say.
func newServer(opts pluginapi.Options) (*embedded.Server, error) {
	names := splitNames(opts.String("simulate"))
	port := opts.Int("device-websocket-server-port")
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("%w: device-websocket-server-port %d is not a port (0 to 65535)", pluginapi.ErrInvalidOptions, port)
	}
	log := opts.Logger()
	e, err := embedded.New(embedded.Config{
		DeviceConfigFile:    opts.String("device-config"),
		UserConfigFile:      opts.String("user-device-config"),
		Simulate:            names,
		BluetoothLE:         opts.Bool("use-bluetooth-le"),
		Serial:              opts.Bool("use-serial"),
		BLEAdapter:          opts.String("ble-adapter"),
		DeviceWebsocket:     opts.Bool("use-device-websocket-server"),
		DeviceWebsocketAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Warn:                func(err error) { log.Warn(embedded.WarnLabel(err), "reason", err.Error()) },
		MaxPingTime:         opts.Duration("max-ping-time"),
		Logger:              logbridge.Slog(log),
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pluginapi.ErrInvalidOptions, err)
	}
	if opts.Bool("log-writes") {
		e.OnRecord(func(r embedded.DeviceRecord) {
			log.Info(writeLogMessage, "device", r.Device, "address", r.Address, "kind", r.Kind, "endpoint", r.Endpoint, "hex", fmt.Sprintf("% x", r.Data), "text", r.Text())
		})
	}
	log.Info("embedded server ready", "devices", strings.Join(names, ", "))
	return e, nil
}

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
