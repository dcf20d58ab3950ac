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
	// DB is the device configuration; nil loads the built-in one.
	DB *config.DB
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
	// Server and Device are options of the server and the device manager.
	Server []server.Option
	Device []device.Option
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
		if db, err = config.Default(); err != nil {
			return nil, err
		}
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
	log := device.Logger(cfg.Device...)
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
	m := device.NewManager(db, comms, cfg.Device...)
	return &Server{Server: server.New(server.FromDeviceManager(m), cfg.Server...), Devices: m, Simulated: sim, DeviceWebsocket: ws}, nil
}

// bleOpenTimeout bounds finding BlueZ and the adapter at start-up, so a
// wedged bus delays the server by that much at most.
const bleOpenTimeout = 5 * time.Second

// Close ends the session (stopping every device), closes the server, then
// the device manager and its backends.
func (e *Server) Close() error {
	return errors.Join(e.Server.Close(), e.Devices.Close())
}
