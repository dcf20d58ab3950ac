package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/btle"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
)

// InProcess is a connector.Connector to a server in the same process: no
// network, no serialization shortcut either (frames are the same JSON a
// remote client sends). Each Connect opens a new session on the server;
// Close ends it and returns once the server has stopped every device.
type InProcess struct {
	srv *Server

	mu   sync.Mutex
	end  *connector.PipeEnd // the client's end of the current session
	done chan struct{}      // closed when the server is done with the session
}

var _ connector.Connector = (*InProcess)(nil)

// Connector returns an in-process connector to s, for
// client.Connect(ctx, srv.Connector()).
func (s *Server) Connector() *InProcess { return &InProcess{srv: s} }

// Connect opens a session. While another client has the server, the
// session is refused at the handshake with ERROR_INIT.
func (c *InProcess) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		select {
		case <-c.done:
		default:
			return connector.ErrAlreadyConnected
		}
	}
	if c.srv.ctx.Err() != nil {
		return fmt.Errorf("%w: %w", connector.ErrServerAbsent, ErrClosed)
	}
	client, server := connector.Pipe(0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.srv.ServeConn(context.Background(), server)
	}()
	c.end, c.done = client, done
	return nil
}

func (c *InProcess) current() (*connector.PipeEnd, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.end == nil {
		return nil, connector.ErrNotConnected
	}
	return c.end, nil
}

// Send hands one frame to the server.
func (c *InProcess) Send(ctx context.Context, frame []byte) error {
	end, err := c.current()
	if err != nil {
		return err
	}
	return end.Send(ctx, frame)
}

// Recv returns the next frame from the server.
func (c *InProcess) Recv(ctx context.Context) ([]byte, error) {
	end, err := c.current()
	if err != nil {
		return nil, err
	}
	return end.Recv(ctx)
}

// Close ends the session and waits until the server has stopped every
// device. It is idempotent.
func (c *InProcess) Close() error {
	c.mu.Lock()
	end, done := c.end, c.done
	c.mu.Unlock()
	if end == nil {
		return nil
	}
	end.Close()
	<-done
	return nil
}

// EmbeddedConfig describes a self-contained server: its device
// configuration, the devices to simulate, other device backends, and
// options.
type EmbeddedConfig struct {
	// DB is the device configuration; nil loads the built-in one.
	DB *config.DB
	// Simulate names devices of the configuration to simulate, e.g.
	// "Lovense Hush"; they are found when a client scans.
	Simulate []string
	// Comms are further device backends (serial...).
	Comms []comm.Manager
	// BluetoothLE adds the Bluetooth LE backend on BLEAdapter (default
	// btle.DefaultAdapter). Where it cannot run (no BlueZ, no adapter...),
	// Warn gets the one-line reason and the server goes on without it.
	BluetoothLE bool
	BLEAdapter  string
	// Warn receives the backends that could not start; nil discards.
	Warn func(error)
	// Server and Device are options of the server and the device manager.
	Server []Option
	Device []device.Option
}

// Embedded is a Server with its own device manager and simulated backend,
// for applications and plugins that run everything in process. Close shuts
// down the server, then the devices.
type Embedded struct {
	*Server
	// Devices is the device manager; Simulated holds the simulated devices.
	Devices   *device.Manager
	Simulated *simulated.Manager
}

// NewEmbedded builds a device manager with a simulated backend holding
// cfg.Simulate (plus cfg.Comms) and a server over it. Connect a client with
// e.Connector().
func NewEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
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
	if cfg.BluetoothLE {
		ctx, cancel := context.WithTimeout(context.Background(), bleOpenTimeout)
		ble, err := btle.New(ctx, btle.WithAdapter(cfg.BLEAdapter), btle.WithLogger(cfg.bleLogger()))
		cancel()
		switch {
		case err == nil:
			comms = append(comms, ble)
		case cfg.Warn != nil:
			cfg.Warn(err)
		}
	}
	m := device.NewManager(db, comms, cfg.Device...)
	return &Embedded{Server: New(FromDeviceManager(m), cfg.Server...), Devices: m, Simulated: sim}, nil
}

// bleOpenTimeout bounds finding BlueZ and the adapter at start-up, so a
// wedged bus delays the server by that much at most.
const bleOpenTimeout = 5 * time.Second

// bleLogger is the logger of the device options, for the backend's
// warnings (dropped notifications, a scan that ended).
func (cfg EmbeddedConfig) bleLogger() *slog.Logger {
	return device.Logger(cfg.Device...)
}

// Close ends the session (stopping every device), closes the server, then
// the device manager and its backends.
func (e *Embedded) Close() error {
	return errors.Join(e.Server.Close(), e.Devices.Close())
}
