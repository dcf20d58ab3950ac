package serial

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/bphost/bphost/core/device/comm"
)

const (
	// pollInterval is how long a read waits before it looks whether the
	// connection is closing. The reader cannot be woken by closing the
	// port: a write may be blocked on the same descriptor, and closing
	// under it would let a later open reuse the number.
	pollInterval = 50 * time.Millisecond
	// closeWait bounds how long Disconnect waits for a write the device
	// does not take (a full output buffer); the port closes when it ends.
	closeWait = time.Second
	// rxBuffer bounds the bytes kept for Read while rx is not subscribed;
	// past it the oldest are dropped, since answers come after requests.
	rxBuffer = 64 << 10
	// notifyBuffer is how many notifications may wait for the device
	// layer before the reader waits too (the kernel buffers meanwhile).
	notifyBuffer = 64
)

// hardware is one open port: comm.Hardware with a reader goroutine, which
// delivers what arrives, and a writer goroutine, which owns the port and
// closes it once both are done.
type hardware struct {
	m    *Manager
	name string
	port string
	p    serial.Port
	eps  map[comm.Endpoint]bool

	writes     chan writeReq
	notes      chan comm.Notification
	stop       chan struct{} // closed when the connection ends
	readerDone chan struct{} // closed after the reader's last delivery, with notes
	portClosed chan struct{}
	stopOnce   sync.Once

	mu         sync.Mutex
	down       bool
	cause      error // why the connection ended; nil after Disconnect
	subscribed bool
	rx         []byte
	arrived    chan struct{} // closed and replaced when rx grows
}

type writeReq struct {
	data []byte
	done chan error
}

var _ comm.Hardware = (*hardware)(nil)

func newHardware(m *Manager, name, port string, p serial.Port, eps map[comm.Endpoint]bool) *hardware {
	h := &hardware{
		m: m, name: name, port: port, p: p, eps: eps,
		writes:     make(chan writeReq),
		notes:      make(chan comm.Notification, notifyBuffer),
		stop:       make(chan struct{}),
		readerDone: make(chan struct{}),
		portClosed: make(chan struct{}),
		arrived:    make(chan struct{}),
	}
	go h.reader()
	go h.writer()
	return h
}

// end stops the connection; cause is nil for Disconnect, else what showed
// the port gone.
func (h *hardware) end(cause error) {
	h.mu.Lock()
	if !h.down {
		h.down = true
		h.cause = cause
	}
	h.mu.Unlock()
	h.stopOnce.Do(func() { close(h.stop) })
}

func (h *hardware) stopping() bool {
	select {
	case <-h.stop:
		return true
	default:
		return false
	}
}

// reader delivers what the device sends, in order, until the connection
// ends; a failed read means the port is gone (unplugged).
func (h *hardware) reader() {
	defer func() {
		close(h.notes)
		close(h.readerDone)
	}()
	buf := make([]byte, 4096)
	for !h.stopping() {
		n, err := h.p.Read(buf)
		if n > 0 {
			h.deliver(buf[:n])
		}
		if err != nil {
			if !h.stopping() {
				h.m.log.Info("serial port gone", "port", h.port, "err", err)
			}
			h.end(err)
			return
		}
	}
}

func (h *hardware) deliver(data []byte) {
	data = append([]byte(nil), data...)
	h.mu.Lock()
	if h.subscribed {
		h.mu.Unlock()
		select {
		case h.notes <- comm.Notification{Endpoint: comm.EndpointRx, Data: data}:
		case <-h.stop:
		}
		return
	}
	h.rx = append(h.rx, data...)
	if over := len(h.rx) - rxBuffer; over > 0 {
		h.rx = append(h.rx[:0], h.rx[over:]...)
	}
	close(h.arrived)
	h.arrived = make(chan struct{})
	h.mu.Unlock()
}

// writer performs the writes one at a time. After the connection ends and
// the reader is done it closes the port, so that no call ever uses a
// closed descriptor.
func (h *hardware) writer() {
	defer func() {
		<-h.readerDone
		_ = h.p.Close()
		close(h.portClosed)
		h.m.release(h.port, h)
	}()
	for {
		select {
		case req := <-h.writes:
			err := h.writeAll(req.data)
			if err != nil {
				h.end(err)
				err = h.gone("write", err)
			}
			req.done <- err
		case <-h.stop:
			return
		}
	}
}

// writeAll writes data; a short write without an error (a hangup while
// writing) is continued, so that the next attempt reports the error.
func (h *hardware) writeAll(data []byte) error {
	for len(data) > 0 {
		n, err := h.p.Write(data)
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("port accepts no data")
		}
		data = data[n:]
	}
	return nil
}

// gone is the error of an operation on a connection that ended.
func (h *hardware) gone(op string, err error) error {
	if err == nil {
		h.mu.Lock()
		err = h.cause
		h.mu.Unlock()
	}
	if err == nil {
		return fmt.Errorf("serial port %s: %s: %w", h.port, op, comm.ErrDisconnected)
	}
	return fmt.Errorf("serial port %s: %s: %w (%v)", h.port, op, comm.ErrDisconnected, err)
}

// check returns why ep cannot be used now, if it cannot.
func (h *hardware) check(op string, ep comm.Endpoint) error {
	h.mu.Lock()
	down := h.down
	h.mu.Unlock()
	if down {
		return h.gone(op, nil)
	}
	if !h.eps[ep] {
		return fmt.Errorf("serial port %s: %s %s: %w", h.port, op, ep, comm.ErrUnknownEndpoint)
	}
	return nil
}

func (h *hardware) Name() string    { return h.name }
func (h *hardware) Address() string { return h.port }

func (h *hardware) Endpoints() []comm.Endpoint {
	return slices.Sorted(maps.Keys(h.eps))
}

func (h *hardware) Notifications() <-chan comm.Notification { return h.notes }

// Write writes data to the port (tx); withResponse means nothing on a
// serial port. When ctx ends first the write may still complete.
func (h *hardware) Write(ctx context.Context, ep comm.Endpoint, data []byte, _ bool) error {
	if ep != comm.EndpointTx {
		return fmt.Errorf("serial port %s: write %s: %w", h.port, ep, comm.ErrUnknownEndpoint)
	}
	if err := h.check("write", ep); err != nil {
		return err
	}
	req := writeReq{data: append([]byte(nil), data...), done: make(chan error, 1)}
	select {
	case h.writes <- req:
	case <-h.stop:
		return h.gone("write", nil)
	case <-ctx.Done():
		return fmt.Errorf("serial port %s: write: %w", h.port, ctx.Err())
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("serial port %s: write: %w", h.port, ctx.Err())
	}
}

// Read returns the bytes that arrived on rx while it was not subscribed
// (at most length of them when length > 0), waiting within ctx for some.
func (h *hardware) Read(ctx context.Context, ep comm.Endpoint, length int) ([]byte, error) {
	if ep != comm.EndpointRx {
		return nil, fmt.Errorf("serial port %s: read %s: %w", h.port, ep, comm.ErrUnknownEndpoint)
	}
	for {
		if err := h.check("read", ep); err != nil {
			return nil, err
		}
		h.mu.Lock()
		if len(h.rx) > 0 {
			n := len(h.rx)
			if length > 0 && length < n {
				n = length
			}
			out := append([]byte(nil), h.rx[:n]...)
			h.rx = append(h.rx[:0], h.rx[n:]...)
			h.mu.Unlock()
			return out, nil
		}
		wait := h.arrived
		h.mu.Unlock()
		select {
		case <-wait:
		case <-h.stop:
		case <-ctx.Done():
			return nil, fmt.Errorf("serial port %s: read: %w", h.port, ctx.Err())
		}
	}
}

// Subscribe makes what arrives on rx notifications (what arrived before
// stays for Read).
func (h *hardware) Subscribe(_ context.Context, ep comm.Endpoint) error {
	return h.setSubscribed("subscribe", ep, true)
}

// Unsubscribe makes what arrives on rx wait for Read again.
func (h *hardware) Unsubscribe(_ context.Context, ep comm.Endpoint) error {
	return h.setSubscribed("unsubscribe", ep, false)
}

func (h *hardware) setSubscribed(op string, ep comm.Endpoint, on bool) error {
	if ep != comm.EndpointRx {
		return fmt.Errorf("serial port %s: %s %s: %w", h.port, op, ep, comm.ErrUnknownEndpoint)
	}
	if err := h.check(op, ep); err != nil {
		return err
	}
	h.mu.Lock()
	h.subscribed = on
	h.mu.Unlock()
	return nil
}

// Disconnect ends the connection, waits for the reader (then Notifications
// is closed) and for the port to close. A write the device does not take
// keeps the port open past closeWait; Disconnect then says so and the port
// closes when the write ends.
func (h *hardware) Disconnect() error {
	h.end(nil)
	<-h.readerDone
	select {
	case <-h.portClosed:
		return nil
	case <-time.After(closeWait):
		return fmt.Errorf("serial port %s: a write the device does not take keeps the port open; it closes when the write ends", h.port)
	}
}
