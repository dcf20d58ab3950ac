// Package wsdevicetest gives tests a websocket device without firmware: a
// Go client of the device websocket server that identifies, records every
// message the server sends it, and answers like the simulated model of a
// protocol (a Lovense toy answers "DeviceType;"). It is shared by the
// wsdevice, embedded and serve tests.
package wsdevicetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/comm/wsdevice"
	"github.com/bphost/bphost/core/device/protocols"
)

// Device is one connected websocket device.
type Device struct {
	c     *websocket.Conn
	sim   protocols.Simulator
	state protocols.SimState

	mu      sync.Mutex
	got     []string
	changed chan struct{}
	err     error // why the connection ended
	done    chan struct{}
	once    sync.Once
	deaf    atomic.Bool
}

// Dial connects to the server at url (ws://host:port), sends id as the
// identify frame, and answers as protocol's simulator does for a device
// of the given configuration identifier (Lovense "Z": a Hush). The
// connection is closed when the test ends.
func Dial(t testing.TB, ctx context.Context, url string, id wsdevice.Identify, protocol, identifier string) *Device {
	t.Helper()
	d, err := Connect(ctx, url, id, protocol, identifier)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// Connect is Dial for callers that close the device themselves.
func Connect(ctx context.Context, url string, id wsdevice.Identify, protocol, identifier string) (*Device, error) {
	sim, ok := protocols.LookupSimulator(protocol)
	if !ok {
		return nil, fmt.Errorf("no simulator for protocol %q", protocol)
	}
	c, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial the device websocket server: %w", err)
	}
	frame := fmt.Sprintf(`{"identifier":%q,"address":%q,"version":%d}`, id.Identifier, id.Address, id.Version)
	if err := c.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("send the identify frame: %w", err)
	}
	d := &Device{c: c, sim: sim, state: protocols.SimState{Identifier: identifier, Battery: 80}, changed: make(chan struct{}), done: make(chan struct{})}
	c.SetPingHandler(func(data string) error {
		if d.deaf.Load() {
			return nil
		}
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	go d.read()
	return d, nil
}

// Deafen makes the device stop answering pings, like one that hung.
func (d *Device) Deafen() { d.deaf.Store(true) }

func (d *Device) read() {
	defer close(d.done)
	for {
		_, data, err := d.c.ReadMessage()
		if err != nil {
			d.mu.Lock()
			d.err = err
			d.mu.Unlock()
			return
		}
		d.mu.Lock()
		d.got = append(d.got, string(data))
		close(d.changed)
		d.changed = make(chan struct{})
		d.mu.Unlock()
		for _, n := range d.sim.Respond(&d.state, comm.EndpointTx, data) {
			if err := d.c.WriteMessage(websocket.BinaryMessage, n.Data); err != nil {
				return
			}
		}
	}
}

// Received returns the messages the server sent, in order.
func (d *Device) Received() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.got)
}

// WaitFor waits until the server sent msg, and returns everything it sent.
func (d *Device) WaitFor(ctx context.Context, msg string) ([]string, error) {
	for {
		d.mu.Lock()
		got, changed := slices.Clone(d.got), d.changed
		d.mu.Unlock()
		if slices.Contains(got, msg) {
			return got, nil
		}
		select {
		case <-changed:
		case <-d.done:
			return got, fmt.Errorf("the device was closed before receiving %q (received %q): %w", msg, got, d.Err())
		case <-ctx.Done():
			return got, fmt.Errorf("the device did not receive %q (received %q): %w", msg, got, ctx.Err())
		}
	}
}

// Done is closed when the connection has ended.
func (d *Device) Done() <-chan struct{} { return d.done }

// Err is why the connection ended (a *websocket.CloseError when the server
// closed it), nil while it is open.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Close leaves as a device switched off: a close frame, then the
// connection drops once the server answered (or after a second). It is
// idempotent.
func (d *Device) Close() error {
	var err error
	d.once.Do(func() {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "device off")
		if werr := d.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); werr != nil && d.Err() == nil {
			err = fmt.Errorf("send the close frame: %w", werr)
		}
		select {
		case <-d.done:
		case <-time.After(time.Second):
		}
		_ = d.c.Close()
		<-d.done
	})
	return err
}

// Drop leaves as a device that lost power: the connection drops without a
// close frame.
func (d *Device) Drop() {
	d.once.Do(func() {
		_ = d.c.NetConn().Close()
		<-d.done
	})
}
