package wsdevice

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/device/comm"
)

const (
	// closeWait bounds the close handshake: how long the server waits for
	// a device to answer its close frame before dropping the connection.
	closeWait = time.Second
	// queueLimit bounds the messages kept for Read while rx is not
	// subscribed; past it the oldest are dropped, since answers follow
	// requests.
	queueLimit = 64
	// notifyBuffer is how many notifications may wait for the device
	// layer before the reader waits too.
	notifyBuffer = 64
)

// hardware is one device connection: the comm.FoundDevice the manager
// reports once it identified, and the comm.Hardware Connect returns. The
// connection handler's goroutine reads it from start to end; a keeper
// goroutine pings it and closes it when nothing connects it in time.
type hardware struct {
	m      *Manager
	c      *websocket.Conn
	remote string
	adv    comm.Advertisement // set once identified, before it is reported

	notes      chan comm.Notification
	stop       chan struct{} // closed when the connection ends
	claimed    chan struct{} // closed by Connect
	readerDone chan struct{} // closed after the last read, with notes
	keeperDone chan struct{}
	keeping    bool // the keeper started; only the handler's goroutine uses it
	stopOnce   sync.Once
	writeMu    sync.Mutex // one writer of data messages at a time

	mu         sync.Mutex
	down       bool
	cause      error // why the connection ended; nil when the server ended it
	connected  bool
	eps        map[comm.Endpoint]bool
	subscribed bool
	queue      [][]byte
	arrived    chan struct{} // closed and replaced when queue grows
}

var (
	_ comm.FoundDevice = (*hardware)(nil)
	_ comm.Hardware    = (*hardware)(nil)
)

func newHardware(m *Manager, c *websocket.Conn, remote string) *hardware {
	return &hardware{
		m: m, c: c, remote: remote,
		notes:      make(chan comm.Notification, notifyBuffer),
		stop:       make(chan struct{}),
		claimed:    make(chan struct{}),
		readerDone: make(chan struct{}),
		keeperDone: make(chan struct{}),
		arrived:    make(chan struct{}),
	}
}

// end marks the connection over; it reports whether this call ended it.
func (h *hardware) end(cause error) bool {
	h.mu.Lock()
	first := !h.down
	if first {
		h.down = true
		h.cause = cause
	}
	h.mu.Unlock()
	h.stopOnce.Do(func() { close(h.stop) })
	return first
}

func (h *hardware) stopping() bool {
	select {
	case <-h.stop:
		return true
	default:
		return false
	}
}

// finish runs when the handler's reading is over: it closes Notifications,
// waits for the keeper and closes the connection.
func (h *hardware) finish() {
	h.end(nil)
	close(h.notes)
	close(h.readerDone)
	if h.keeping {
		<-h.keeperDone
	}
	_ = h.c.Close()
}

// closeFrame sends a close frame with a reason.
func (h *hardware) closeFrame(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, truncate(reason))
	_ = h.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(h.m.opt.writeTimeout))
}

// reject closes a connection the handler will not serve, saying why, and
// logs it. drain waits for the device's answer to the close frame, so that
// it reads the reason before the connection drops; after a read timed out
// the connection cannot be read any more.
func (h *hardware) reject(code int, reason string, drain bool) {
	if !h.end(nil) {
		return
	}
	h.m.log.Warn("device websocket: connection closed", "remote", h.remote, "reason", reason)
	h.closeFrame(code, reason)
	if drain {
		_ = h.c.SetReadDeadline(time.Now().Add(closeWait))
		for {
			if _, _, err := h.c.ReadMessage(); err != nil {
				return
			}
		}
	}
}

// identify reads the identify frame; when it is missing or bad the
// connection is rejected and ok is false.
func (h *hardware) identify() (id Identify, ok bool) {
	timeout := h.m.opt.identify
	_ = h.c.SetReadDeadline(time.Now().Add(timeout))
	typ, data, err := h.c.ReadMessage()
	var ne net.Error
	switch {
	case err != nil && h.stopping():
		// The manager is closing and said so.
		return id, false
	case err != nil && errors.As(err, &ne) && ne.Timeout():
		h.reject(websocket.ClosePolicyViolation, fmt.Sprintf(reasonNoIdentify, timeout), false)
		return id, false
	case err != nil:
		h.end(err)
		h.m.log.Info("device websocket: connection gone before identifying", "remote", h.remote, "err", err)
		return id, false
	case typ != websocket.TextMessage:
		h.reject(websocket.CloseUnsupportedData, reasonNotText, true)
		return id, false
	}
	id, err = ParseIdentify(data)
	if err != nil {
		h.reject(websocket.CloseInvalidFramePayloadData, err.Error(), true)
		return id, false
	}
	return id, true
}

// run reports the identified device and reads it until the connection
// ends.
func (h *hardware) run() {
	h.keeping = true
	go h.keep()
	if !h.m.emit(comm.Event{Kind: comm.DeviceFound, Device: h}, h.stop) {
		h.shutAside(websocket.CloseGoingAway, reasonShutdown)
	}
	alive := 2 * h.m.opt.ping
	extend := func() {
		if !h.stopping() {
			_ = h.c.SetReadDeadline(time.Now().Add(alive))
		}
	}
	h.c.SetPongHandler(func(string) error { extend(); return nil })
	extend()
	for {
		_, data, err := h.c.ReadMessage()
		if err != nil {
			if h.end(err) {
				h.m.log.Info("device websocket: device gone", "identifier", h.adv.Name, "address", h.adv.Address, "err", err)
			}
			return
		}
		extend()
		h.deliver(data)
	}
}

// keep pings the device, and closes it when nothing connects it within the
// claim timeout.
func (h *hardware) keep() {
	defer close(h.keeperDone)
	ping := time.NewTicker(h.m.opt.ping)
	defer ping.Stop()
	claim := time.NewTimer(h.m.opt.claim)
	defer claim.Stop()
	claimed := h.claimed
	for {
		select {
		case <-ping.C:
			if err := h.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.m.opt.writeTimeout)); err != nil {
				h.end(err)
				_ = h.c.NetConn().Close()
				return
			}
		case <-claimed:
			claim.Stop()
			claimed = nil
		case <-claim.C:
			h.m.log.Warn("device websocket: connection closed", "identifier", h.adv.Name, "address", h.adv.Address, "reason", reasonUnclaimed)
			h.shut(websocket.ClosePolicyViolation, reasonUnclaimed)
			return
		case <-h.stop:
			return
		}
	}
}

// shut ends a connection whose reader runs: close frame, then up to
// closeWait for the device to answer it, then the connection drops.
func (h *hardware) shut(code int, reason string) {
	if h.end(nil) {
		h.closeFrame(code, reason)
		_ = h.c.SetReadDeadline(time.Now().Add(closeWait))
	}
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-h.readerDone:
	case <-t.C:
		_ = h.c.NetConn().Close()
		<-h.readerDone
	}
}

// shutAside ends the connection from the reader's own goroutine: the
// reader then sees the answer or the timeout.
func (h *hardware) shutAside(code int, reason string) {
	if h.end(nil) {
		h.closeFrame(code, reason)
		_ = h.c.SetReadDeadline(time.Now().Add(closeWait))
	}
}

// deliver hands data the device sent to the device layer: a notification
// of rx once subscribed, else queued for Read.
func (h *hardware) deliver(data []byte) {
	h.mu.Lock()
	if h.subscribed {
		h.mu.Unlock()
		select {
		case h.notes <- comm.Notification{Endpoint: comm.EndpointRx, Data: data}:
		case <-h.stop:
		}
		return
	}
	h.queue = append(h.queue, data)
	if len(h.queue) > queueLimit {
		h.queue = slices.Delete(h.queue, 0, len(h.queue)-queueLimit)
	}
	close(h.arrived)
	h.arrived = make(chan struct{})
	h.mu.Unlock()
}

// Advertisement describes the device as it identified.
func (h *hardware) Advertisement() comm.Advertisement { return h.adv }

// Connect takes the device for the device layer, with the endpoints of tx
// and rx that services asks for. A device is connected once.
func (h *hardware) Connect(_ context.Context, services comm.ServiceMap) (comm.Hardware, error) {
	eps := map[comm.Endpoint]bool{}
	for _, ep := range services.Endpoints() {
		if ep == comm.EndpointTx || ep == comm.EndpointRx {
			eps[ep] = true
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("%s: %w", h.describe(), comm.ErrNoEndpoints)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.down:
		return nil, fmt.Errorf("%s: connect: %w", h.describe(), comm.ErrDisconnected)
	case h.connected:
		return nil, fmt.Errorf("%s: connected already", h.describe())
	}
	h.connected, h.eps = true, eps
	close(h.claimed)
	return h, nil
}

func (h *hardware) describe() string {
	return fmt.Sprintf("websocket device %q at %q", h.adv.Name, h.adv.Address)
}

// Name is the identifier the device sent.
func (h *hardware) Name() string { return h.adv.Name }

// Address is the address the device sent (or its connection's, when it
// sent none).
func (h *hardware) Address() string { return h.adv.Address }

func (h *hardware) Endpoints() []comm.Endpoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.eps))
}

func (h *hardware) Notifications() <-chan comm.Notification { return h.notes }

// gone is the error of an operation on a connection that ended.
func (h *hardware) gone(op string) error {
	h.mu.Lock()
	cause := h.cause
	h.mu.Unlock()
	if cause == nil {
		return fmt.Errorf("%s: %s: %w", h.describe(), op, comm.ErrDisconnected)
	}
	return fmt.Errorf("%s: %s: %w (%v)", h.describe(), op, comm.ErrDisconnected, cause)
}

// check returns why ep cannot be used for op now, if it cannot.
func (h *hardware) check(op string, ep, want comm.Endpoint) error {
	h.mu.Lock()
	down, has := h.down, h.eps[ep]
	h.mu.Unlock()
	switch {
	case ep != want || !has:
		return fmt.Errorf("%s: %s %s: %w", h.describe(), op, ep, comm.ErrUnknownEndpoint)
	case down:
		return h.gone(op)
	}
	return nil
}

// Write sends data as one binary message (tx); withResponse means nothing
// here. The write is bounded by ctx's deadline and the write timeout.
func (h *hardware) Write(ctx context.Context, ep comm.Endpoint, data []byte, _ bool) error {
	if err := h.check("write", ep, comm.EndpointTx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: write: %w", h.describe(), err)
	}
	deadline := time.Now().Add(h.m.opt.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	if h.stopping() {
		return h.gone("write")
	}
	_ = h.c.SetWriteDeadline(deadline)
	if err := h.c.WriteMessage(websocket.BinaryMessage, data); err != nil {
		h.end(err)
		_ = h.c.NetConn().Close()
		return h.gone("write")
	}
	return nil
}

// Read returns the next message that arrived on rx while it was not
// subscribed (at most length bytes of it when length > 0), waiting within
// ctx for one.
func (h *hardware) Read(ctx context.Context, ep comm.Endpoint, length int) ([]byte, error) {
	for {
		if err := h.check("read", ep, comm.EndpointRx); err != nil {
			return nil, err
		}
		h.mu.Lock()
		if len(h.queue) > 0 {
			msg := h.queue[0]
			h.queue = h.queue[1:]
			h.mu.Unlock()
			if length > 0 && length < len(msg) {
				msg = msg[:length]
			}
			return msg, nil
		}
		wait := h.arrived
		h.mu.Unlock()
		select {
		case <-wait:
		case <-h.stop:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: read: %w", h.describe(), ctx.Err())
		}
	}
}

// Subscribe makes what arrives on rx notifications.
func (h *hardware) Subscribe(_ context.Context, ep comm.Endpoint) error {
	return h.setSubscribed("subscribe", ep, true)
}

// Unsubscribe makes what arrives on rx wait for Read again.
func (h *hardware) Unsubscribe(_ context.Context, ep comm.Endpoint) error {
	return h.setSubscribed("unsubscribe", ep, false)
}

func (h *hardware) setSubscribed(op string, ep comm.Endpoint, on bool) error {
	if err := h.check(op, ep, comm.EndpointRx); err != nil {
		return err
	}
	h.mu.Lock()
	h.subscribed = on
	h.mu.Unlock()
	return nil
}

// Disconnect closes the connection with a close frame, waits up to
// closeWait for the device's answer, and returns once Notifications is
// closed.
func (h *hardware) Disconnect() error {
	h.shut(websocket.CloseNormalClosure, reasonDisconnect)
	return nil
}
