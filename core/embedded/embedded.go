// Package embedded assembles a self-contained Buttplug server: the device
// configuration, the simulated backend and any others (Bluetooth LE,
// serial...), a device manager over them and a core/server Server over
// that. The embedded plugin and `bphost serve` run one; so can any Go
// application that wants no Intiface.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/btle"
	"github.com/bphost/bphost/core/device/comm/serial"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
)

// Config describes a self-contained server: its device configuration, the
// devices to simulate, other device backends, and options.
type Config struct {
	// DB is the device configuration; nil loads DeviceConfigFile (the
	// built-in one when empty) with UserConfigFile over it.
	DB                               *config.DB
	DeviceConfigFile, UserConfigFile string
	// Simulate names devices of the configuration to simulate, e.g.
	// "Lovense Hush"; they are found when a client scans.
	Simulate []string
	// Comms are further device backends.
	Comms []comm.Manager
	// Serial adds the serial-port backend: devices on the ports the user
	// device configuration names for serial protocols.
	Serial bool
	// BluetoothLE adds the Bluetooth LE backend on BLEAdapter (default
	// btle.DefaultAdapter). Where it cannot run (no BlueZ, no adapter...),
	// Warn gets the one-line reason and the server goes on without it.
	BluetoothLE bool
	BLEAdapter  string
	// DeviceWebsocket runs the device websocket server (package wsdevice,
	// Intiface's way for DIY firmware, software toys and bridges to appear
	// as devices) on DeviceWebsocketAddr, host:port ("" for
	// wsdevice.DefaultAddr, 127.0.0.1:54817; port 0 picks a free one, see
	// Server.DeviceWebsocket). Devices dialling in are matched by the
	// websocket specifiers of the user device configuration. Where the
	// address cannot be listened on, Warn gets the reason and the server
	// goes on without it. DeviceWebsocketOptions tune it (timeouts).
	DeviceWebsocket        bool
	DeviceWebsocketAddr    string
	DeviceWebsocketOptions []wsdevice.Option
	// Warn receives the backends that could not start; nil discards.
	Warn func(error)
	// Logger, when set, is the log of the server and the device manager
	// (options in Server and Device given after it win).
	Logger *slog.Logger
	// MaxPingTime ends a session whose client does not ping within it; 0:
	// no ping needed.
	MaxPingTime time.Duration
	// Server and Device are further options of the server and the device
	// manager.
	Server []server.Option
	Device []device.Option
}

// Defaults of the backends, for the options of hosts and plugins.
const (
	DefaultBLEAdapter          = btle.DefaultAdapter
	DefaultDeviceWebsocketPort = wsdevice.DefaultPort
)

// WarnLabel names, for a log line, the backend that a Warn error says is
// off.
func WarnLabel(err error) string {
	switch {
	case errors.Is(err, btle.ErrUnavailable):
		return "bluetooth LE off"
	case errors.Is(err, wsdevice.ErrListen):
		return "device websocket server off"
	}
	return "device backend off"
}

// Server is a server.Server with its own device manager and simulated
// backend, for applications and plugins that run everything in process.
// Close shuts down the server, then the devices.
type Server struct {
	*server.Server
	// Devices is the device manager; Simulated holds the simulated devices.
	Devices   *device.Manager
	Simulated *simulated.Manager
	// DeviceWebsocket is the device websocket server; nil unless
	// Config.DeviceWebsocket and it started.
	DeviceWebsocket *wsdevice.Manager
}

// New builds a device manager with a simulated backend holding
// cfg.Simulate (plus cfg.Comms) and a server over it. Connect a client with
// e.Connector().
func New(cfg Config) (*Server, error) {
	db := cfg.DB
	if db == nil {
		var err error
		if db, err = config.LoadFiles(cfg.DeviceConfigFile, cfg.UserConfigFile); err != nil {
			return nil, err
		}
	}
	srvOpts, devOpts := cfg.Server, cfg.Device
	if cfg.Logger != nil {
		srvOpts = append([]server.Option{server.WithLogger(cfg.Logger.With("component", "server"))}, srvOpts...)
		devOpts = append([]device.Option{device.WithLogger(cfg.Logger.With("component", "devices"))}, devOpts...)
	}
	if cfg.MaxPingTime != 0 {
		srvOpts = append([]server.Option{server.WithMaxPingTime(cfg.MaxPingTime)}, srvOpts...)
	}
	sim := simulated.New(db)
	for _, name := range cfg.Simulate {
		if _, err := sim.Add(name); err != nil {
			_ = sim.Close()
			return nil, fmt.Errorf("simulate %q: %w", name, err)
		}
	}
	comms := append([]comm.Manager{sim}, cfg.Comms...)
	// The backends warn (dropped notifications, a scan that ended, a port
	// skipped) where the device manager logs.
	log := device.Logger(devOpts...)
	// A backend that cannot start is left out, with the reason to Warn.
	add := func(c comm.Manager, err error) {
		switch {
		case err == nil:
			comms = append(comms, c)
		case cfg.Warn != nil:
			cfg.Warn(err)
		}
	}
	if cfg.BluetoothLE {
		ctx, cancel := context.WithTimeout(context.Background(), bleOpenTimeout)
		ble, err := btle.New(ctx, btle.WithAdapter(cfg.BLEAdapter), btle.WithLogger(log))
		cancel()
		add(ble, err)
	}
	if cfg.Serial {
		add(serial.New(db, serial.WithLogger(log)))
	}
	var ws *wsdevice.Manager
	if cfg.DeviceWebsocket {
		var err error
		ws, err = wsdevice.New(db, cfg.DeviceWebsocketAddr, append([]wsdevice.Option{wsdevice.WithLogger(log)}, cfg.DeviceWebsocketOptions...)...)
		add(ws, err)
	}
	m := device.NewManager(db, comms, devOpts...)
	return &Server{Server: server.New(server.FromDeviceManager(m), srvOpts...), Devices: m, Simulated: sim, DeviceWebsocket: ws}, nil
}

// OnRecord calls fn with every operation the simulated devices receive,
// as DeviceRecords, from the devices' own goroutines: fn must not block.
func (e *Server) OnRecord(fn func(DeviceRecord)) {
	for _, d := range e.Simulated.Devices() {
		model, addr := d.Model(), d.Address()
		d.OnRecord(func(r simulated.Record) { fn(NewDeviceRecord(model, addr, r)) })
	}
}

// bleOpenTimeout bounds finding BlueZ and the adapter at start-up, so a
// wedged bus delays the server by that much at most.
const bleOpenTimeout = 5 * time.Second

// Close ends the session (stopping every device), closes the server, then
// the device manager and its backends.
func (e *Server) Close() error {
	return errors.Join(e.Server.Close(), e.Devices.Close())
}
