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

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm/btle"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/internal/logbridge"
	"github.com/bphost/bphost/pluginapi"
)

// version is the plugin's version; release builds set it with -ldflags -X.
var version = "0.1.0"

// writeLogMessage is the log message of every operation a simulated device
// receives (with log-writes on). `bphost demo` matches it to show the bytes
// the devices got, so it is part of what this plugin promises the host.
const writeLogMessage = "simulated device received"

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
			{Name: "max-ping-time", Type: pluginapi.OptionDuration, Default: "0s", Help: "drop clients that do not ping within this time (0: no ping needed)"},
			{Name: "use-bluetooth-le", Type: pluginapi.OptionBool, Default: "true", Help: "find and drive Bluetooth LE toys (BlueZ on Linux); where none can be reached, a warning and the other devices"},
			{Name: "ble-adapter", Default: btle.DefaultAdapter, Help: "Bluetooth adapter to use (Linux)"},
			{Name: "use-serial", Type: pluginapi.OptionBool, Default: "false", Help: "drive serial devices on the ports the user device config names"},
			{Name: "use-device-websocket-server", Type: pluginapi.OptionBool, Default: "false", Help: "run the device websocket server (on loopback) for DIY and software devices the user device config names"},
			{Name: "device-websocket-server-port", Type: pluginapi.OptionInt, Default: strconv.Itoa(wsdevice.DefaultPort), Help: "port of the device websocket server"},
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
	mu  sync.Mutex
	cur *embedded.Server
	key string // the options cur was made with
}

func (s *servers) serve(ctx context.Context, opts pluginapi.Options) (connector.Connector, error) {
	key := optionsKey(opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.key != key {
		old := s.cur
		s.cur = nil
		if err := old.Close(); err != nil {
			opts.Logger().Warn("closing the embedded server of other options", "err", err)
		}
	}
	if s.cur == nil {
		e, err := newServer(opts)
		if err != nil {
			return nil, err
		}
		s.cur, s.key = e, key
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
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
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
	db, err := config.LoadFiles(opts.String("device-config"), opts.String("user-device-config"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pluginapi.ErrInvalidOptions, err)
	}
	names := splitNames(opts.String("simulate"))
	port := opts.Int("device-websocket-server-port")
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("%w: device-websocket-server-port %d is not a port (0 to 65535)", pluginapi.ErrInvalidOptions, port)
	}
	log := opts.Logger()
	e, err := embedded.New(embedded.Config{
		DB:                  db,
		Simulate:            names,
		BluetoothLE:         opts.Bool("use-bluetooth-le"),
		Serial:              opts.Bool("use-serial"),
		BLEAdapter:          opts.String("ble-adapter"),
		DeviceWebsocket:     opts.Bool("use-device-websocket-server"),
		DeviceWebsocketAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Warn:                func(err error) { log.Warn(backendOff(err), "reason", err.Error()) },
		Server:              []server.Option{server.WithMaxPingTime(opts.Duration("max-ping-time")), server.WithLogger(logbridge.Slog(log.Named("server")))},
		Device:              []device.Option{device.WithLogger(logbridge.Slog(log.Named("devices")))},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pluginapi.ErrInvalidOptions, err)
	}
	if opts.Bool("log-writes") {
		for _, d := range e.Simulated.Devices() {
			name := d.Model()
			d.OnRecord(func(r simulated.Record) {
				log.Info(writeLogMessage, "device", name, "address", d.Address(), "kind", r.Kind.String(), "endpoint", string(r.Endpoint), "hex", fmt.Sprintf("% x", r.Data), "text", printable(r.Data))
			})
		}
	}
	log.Info("embedded server ready", "devices", strings.Join(names, ", "))
	return e, nil
}

// backendOff is the warning of a device backend that could not start;
// `bphost` matches "bluetooth LE off".
func backendOff(err error) string {
	switch {
	case errors.Is(err, btle.ErrUnavailable):
		return "bluetooth LE off"
	case errors.Is(err, wsdevice.ErrListen):
		return "device websocket server off"
	}
	return "device backend off"
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

// printable returns b as text when it is printable ASCII, else "".
func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(b)
}
