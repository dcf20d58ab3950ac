package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// maxAbandoned bounds how many ids of given-up requests stay reserved for
// their late replies. Servers that drop messages never answer, so the set
// must not grow without end; the oldest reservation goes first.
const maxAbandoned = 1024

// session is one open connection: the request table, the devices the server
// reported, and the goroutines reading frames and sending pings. The read
// loop is the only goroutine that changes the device table, so events come
// out in the order the server sent them.
type session struct {
	c       *Client
	conn    connector.Connector
	log     *slog.Logger
	ctx     context.Context // done when the session ends
	cancel  context.CancelFunc
	done    chan struct{} // closed when the session ends
	version atomic.Uint32 // protocol.Version of the decoder

	endOnce sync.Once
	wg      sync.WaitGroup // read loop and ping loop

	mu            sync.Mutex
	cause         error // why the session ended; set before done closes
	ended         bool
	nextID        uint32
	pending       map[uint32]*call
	abandoned     map[uint32]struct{}
	abandonedFIFO []uint32
	handshakeID   uint32
	requested     protocol.Version // version of the pending handshake
	established   bool
	info          ServerInfo
	devices       map[uint32]*Device
}

// call is one request waiting for its reply.
type call struct {
	id   uint32
	name string
	ch   chan result // buffered: the read loop never waits
	// deadline is when expire fails the call with the request timeout;
	// zero for none.
	deadline time.Time
}

type result struct {
	msg protocol.Message
	err error
}

func newSession(c *Client, conn connector.Connector) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		c:         c,
		conn:      conn,
		log:       c.opts.logger,
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		pending:   map[uint32]*call{},
		abandoned: map[uint32]struct{}{},
		devices:   map[uint32]*Device{},
	}
	s.wg.Add(1)
	go s.readLoop()
	if d := c.opts.requestTimeout; d > 0 {
		s.wg.Add(1)
		go s.expire(min(max(d/10, time.Millisecond), time.Second))
	}
	return s
}

// expire fails the requests whose request timeout has passed, every tick
// (a tenth of the timeout, at most a second, so a request fails within
// 1.1 times its timeout). One ticker per session instead of a timer per
// request: arming a timer earlier than the runtime's others wakes its
// poller thread, and a timer and its context cost more CPU than the rest
// of an in-process round trip.
func (s *session) expire(tick time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.expireBefore(time.Now())
		}
	}
}

// expireBefore fails the requests whose deadline is before now.
func (s *session) expireBefore(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.pending {
		if c.deadline.IsZero() || now.Before(c.deadline) {
			continue
		}
		s.abandonLocked(id)
		c.ch <- result{err: fmt.Errorf("client: %s (Id %d): %w", c.name, c.id, s.c.requestTimeoutCause)}
	}
}

func (s *session) negotiated() protocol.Version { return protocol.Version(s.version.Load()) }

// end closes the session with cause; the first cause wins. Waiting requests
// fail at once; the read loop then removes the devices and reports the
// disconnect.
func (s *session) end(cause error) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.cause = cause
		s.ended = true
		s.mu.Unlock()
		close(s.done)
		s.cancel()
		if err := s.conn.Close(); err != nil {
			s.log.Debug("closing connector", "err", err)
		}
	})
}

// endErr is the error requests fail with after the session ended.
func (s *session) endErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return disconnected(s.cause)
}

// close ends the session and waits until its goroutines are gone or ctx is
// done.
func (s *session) close(ctx context.Context, cause error) error {
	s.end(cause)
	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("client: waiting for the connection to close: %w", ctx.Err())
	}
}

func (s *session) isEnded() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// allocID returns the next free request id: 1..4294967295, wrapping past
// the top, skipping 0 and ids in flight or reserved. s.mu must be held.
func (s *session) allocID() uint32 {
	for {
		s.nextID++
		if s.nextID == 0 {
			s.nextID = 1
		}
		if _, busy := s.pending[s.nextID]; busy {
			continue
		}
		if _, busy := s.abandoned[s.nextID]; busy {
			continue
		}
		return s.nextID
	}
}

// start sends m as a request and returns the call to wait on; expire fails
// the call at deadline unless it is zero.
func (s *session) start(ctx context.Context, m protocol.Message, handshake protocol.Version, deadline time.Time) (*call, error) {
	name := m.MessageName()
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil, fmt.Errorf("client: %s: %w", name, s.endErrLocked())
	}
	c := &call{id: s.allocID(), name: name, ch: make(chan result, 1), deadline: deadline}
	s.pending[c.id] = c
	if handshake != noHandshake {
		s.handshakeID, s.requested = c.id, handshake
	}
	s.mu.Unlock()

	m.SetMessageID(c.id)
	buf := framePool.Get().(*[]byte)
	defer framePool.Put(buf)
	frame, err := protocol.AppendFrame((*buf)[:0], m)
	if err != nil {
		s.forget(c.id)
		return nil, fmt.Errorf("client: %s: %w", name, err)
	}
	*buf = frame
	// Connectors do not keep a frame after Send returns, so the buffer is
	// reused.
	if err := s.conn.Send(ctx, frame); err != nil {
		if errors.Is(err, connector.ErrDisconnected) {
			s.forget(c.id)
			s.end(err)
			return nil, fmt.Errorf("client: send %s: %w", name, s.endErr())
		}
		// The frame may have gone out (a write that timed out half way):
		// keep its id reserved for a late reply.
		s.abandon(c.id)
		return nil, fmt.Errorf("client: send %s (Id %d): %w", name, c.id, err)
	}
	return c, nil
}

const noHandshake = protocol.Version(^uint32(0))

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func (s *session) endErrLocked() error { return disconnected(s.cause) }

// wait returns the reply of c, or fails when ctx is done or the session
// ends. A reply that raced with either is still returned.
func (s *session) wait(ctx context.Context, c *call) (protocol.Message, error) {
	select {
	case r := <-c.ch:
		return r.msg, r.err
	case <-ctx.Done():
		s.abandon(c.id)
		select {
		case r := <-c.ch:
			return r.msg, r.err
		default:
		}
		return nil, fmt.Errorf("client: %s (Id %d): %w", c.name, c.id, context.Cause(ctx))
	case <-s.done:
		select {
		case r := <-c.ch:
			return r.msg, r.err
		default:
		}
		return nil, fmt.Errorf("client: %s (Id %d): %w", c.name, c.id, s.endErr())
	}
}

// request sends m and waits for its reply within the request timeout. A
// reply that is a protocol Error is returned as the error.
func (s *session) request(ctx context.Context, m protocol.Message) (protocol.Message, error) {
	sendCtx, deadline := s.bound(ctx)
	c, err := s.start(sendCtx, m, noHandshake, deadline)
	release(sendCtx)
	if err != nil {
		return nil, err
	}
	return s.settle(ctx, c)
}

// bound returns the context that bounds sending a request (ctx, and the
// request timeout without a timer: see connector.Deadline) and the
// deadline expire holds its reply to; release the context once sent.
func (s *session) bound(ctx context.Context) (context.Context, time.Time) {
	d := s.c.opts.requestTimeout
	if d <= 0 {
		return ctx, time.Time{}
	}
	at := time.Now().Add(d)
	return connector.NewDeadline(ctx, at), at
}

// release ends a context bound made.
func release(ctx context.Context) {
	if dl, ok := ctx.(*connector.Deadline); ok {
		dl.Release()
	}
}

// settle waits for c and turns Error replies into errors.
func (s *session) settle(ctx context.Context, c *call) (protocol.Message, error) {
	reply, err := s.wait(ctx, c)
	if err != nil {
		return nil, err
	}
	if perr, ok := reply.(*protocol.Error); ok {
		return nil, fmt.Errorf("client: %s (Id %d): %w", c.name, c.id, perr)
	}
	return reply, nil
}

// requestOk sends m and expects Ok.
func (s *session) requestOk(ctx context.Context, m protocol.Message) error {
	reply, err := s.request(ctx, m)
	if err != nil {
		return err
	}
	return expectOk(m, reply)
}

func expectOk(m, reply protocol.Message) error {
	if _, ok := reply.(*protocol.Ok); !ok {
		return fmt.Errorf("client: %s (Id %d): %w: got %s", m.MessageName(), m.MessageID(), ErrUnexpectedReply, reply.MessageName())
	}
	return nil
}

// forget drops a request that was never sent.
func (s *session) forget(id uint32) {
	s.mu.Lock()
	delete(s.pending, id)
	s.mu.Unlock()
}

// abandon gives up on a request whose reply may still come; its id stays
// reserved so a late reply is recognised and dropped.
func (s *session) abandon(id uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abandonLocked(id)
}

func (s *session) abandonLocked(id uint32) {
	if _, ok := s.pending[id]; !ok {
		return
	}
	delete(s.pending, id)
	if s.handshakeID == id {
		s.handshakeID = 0
	}
	if len(s.abandonedFIFO) >= maxAbandoned {
		delete(s.abandoned, s.abandonedFIFO[0])
		s.abandonedFIFO = s.abandonedFIFO[1:]
	}
	s.abandoned[id] = struct{}{}
	s.abandonedFIFO = append(s.abandonedFIFO, id)
}

// readLoop reads frames until the connection ends, then cleans up.
func (s *session) readLoop() {
	defer s.wg.Done()
	for {
		frame, err := s.conn.Recv(s.ctx)
		if err != nil {
			s.end(err)
			s.cleanup()
			return
		}
		s.handleFrame(frame)
	}
}

// handleFrame decodes a frame message by message, so one bad message does
// not cost the replies next to it.
func (s *session) handleFrame(frame []byte) {
	envs, err := protocol.SplitFrame(frame)
	if err != nil {
		s.protocolError(fmt.Errorf("%w: %w", ErrMalformed, err))
		return
	}
	dec := protocol.Decoder{Version: s.negotiated(), Lenient: true}
	for i := range envs {
		e := &envs[i]
		m, err := dec.DecodeEnvelope(e)
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrMalformed, err)
			s.protocolError(err)
			if e.HasID && e.ID != 0 {
				// The request it answers fails now instead of timing out.
				s.deliver(e.ID, result{err: err}, false)
			}
			continue
		}
		s.handleMessage(m)
	}
}

func (s *session) protocolError(err error) {
	s.log.Warn("bad message from server", "err", err)
	s.c.events.publish(ProtocolError{Err: err})
}

func (s *session) handleMessage(m protocol.Message) {
	id := m.MessageID()
	switch msg := m.(type) {
	case *protocol.DeviceList:
		s.syncDevices(s.devicesV4(msg.Devices), true)
		if id == 0 {
			return
		}
	case *protocol.DeviceListV3:
		devs := make([]*Device, 0, len(msg.Devices))
		for _, info := range msg.Devices {
			devs = append(devs, newDeviceV3(s, info))
		}
		s.syncDevices(devs, true)
	case *protocol.ServerInfo, *protocol.ServerInfoV2:
		s.onServerInfo(m)
		return
	}
	if id == 0 {
		s.handleEvent(m)
		return
	}
	s.deliver(id, result{msg: m}, true)
}

// deliver hands a reply to its request. Late replies to requests given up
// are dropped; replies to nothing are reported.
func (s *session) deliver(id uint32, r result, report bool) {
	s.mu.Lock()
	delivered, late := s.deliverLocked(id, r)
	s.mu.Unlock()
	switch {
	case delivered:
	case late:
		s.log.Debug("dropping late reply", "id", id)
	case report && r.msg != nil:
		s.protocolError(fmt.Errorf("%w: %s with Id %d answers no request", ErrUnexpectedReply, r.msg.MessageName(), id))
	}
}

// deliverLocked hands r to the request with id, or drops it as a late reply.
// The send happens under s.mu, so once abandon returns, a reply has either
// been handed over already or never will be.
func (s *session) deliverLocked(id uint32, r result) (delivered, late bool) {
	if c, ok := s.pending[id]; ok {
		delete(s.pending, id)
		c.ch <- r // buffered, and only ever one reply per call
		return true, false
	}
	if _, late = s.abandoned[id]; late {
		delete(s.abandoned, id)
		if i := indexOf(s.abandonedFIFO, id); i >= 0 {
			s.abandonedFIFO = append(s.abandonedFIFO[:i], s.abandonedFIFO[i+1:]...)
		}
	}
	return false, late
}

func indexOf(ids []uint32, id uint32) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

// onServerInfo checks the reply to the pending handshake. An accepted one
// establishes the session before anything after it is read, so the
// Connected event precedes every device event of the session.
func (s *session) onServerInfo(m protocol.Message) {
	id := m.MessageID()
	var info ServerInfo
	switch msg := m.(type) {
	case *protocol.ServerInfo:
		info = ServerInfo{Name: msg.ServerName, Version: protocol.Version(msg.ProtocolVersionMajor), MinorVersion: msg.ProtocolVersionMinor, MaxPingTime: time.Duration(msg.MaxPingTime) * time.Millisecond}
	case *protocol.ServerInfoV2:
		info = ServerInfo{Name: msg.ServerName, Version: protocol.Version(msg.MessageVersion), MaxPingTime: time.Duration(msg.MaxPingTime) * time.Millisecond}
	}
	// Checking, establishing and handing over happen under one lock, so a
	// handshake that times out at this moment is either answered or not
	// established.
	s.mu.Lock()
	_, pending := s.pending[id]
	if !pending || id != s.handshakeID {
		s.mu.Unlock()
		s.deliver(id, result{msg: m}, true)
		return
	}
	accepted := info.Version == s.requested
	r := result{msg: m}
	if accepted {
		s.established = true
		info.Refused, info.Reconnected = s.info.Refused, s.info.Reconnected
		s.info = info
	} else {
		r.err = fmt.Errorf("%w: asked for spec %s, server answered %s", ErrUnexpectedReply, s.requested, info.Version)
	}
	s.deliverLocked(id, r)
	s.mu.Unlock()
	if accepted {
		s.c.established(s, info)
	}
}

func (s *session) handleEvent(m protocol.Message) {
	switch msg := m.(type) {
	case *protocol.Error:
		if s.refuseHandshake(msg) {
			return
		}
		s.log.Warn("server error", "code", msg.ErrorCode, "message", msg.ErrorMessage)
		s.c.events.publish(ServerError{Err: msg})
		if msg.ErrorCode == protocol.ErrorPing {
			s.end(fmt.Errorf("%w: %w", ErrPingTimeout, msg))
		}
	case *protocol.ScanningFinished:
		s.c.events.publish(ScanningFinished{})
	case *protocol.DeviceAddedV3:
		s.addDevice(newDeviceV3(s, msg.DeviceInfoV3))
	case *protocol.DeviceRemoved:
		s.removeDevice(msg.DeviceIndex)
	case *protocol.InputReading:
		s.reading(msg.DeviceIndex, func(d *Device) (uint32, protocol.InputType, bool) {
			i := d.feature(msg.FeatureIndex)
			if i < 0 {
				return 0, "", false
			}
			_, ok := d.features[i].Input(msg.Reading.Type)
			return msg.FeatureIndex, msg.Reading.Type, ok
		}, []int32{msg.Reading.Value})
	case *protocol.SensorReading:
		s.reading(msg.DeviceIndex, func(d *Device) (uint32, protocol.InputType, bool) {
			return d.sensorFeature(msg.SensorIndex, msg.SensorType)
		}, msg.Data)
	default:
		s.protocolError(fmt.Errorf("%w: unexpected event %s", ErrUnexpectedReply, m.MessageName()))
	}
}

// refuseHandshake takes an Error with Id 0 as the answer to a pending
// handshake: the spec has servers use Id 0 when they cannot read the
// request's Id, and a server that does not know the requested version may
// not read the rest either. This spares the wait for the handshake timeout.
func (s *session) refuseHandshake(e *protocol.Error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.handshakeID
	if _, pending := s.pending[id]; s.established || id == 0 || !pending {
		return false
	}
	s.deliverLocked(id, result{msg: e})
	return true
}

// reading publishes a subscribed input reading and feeds the device's
// input subscriptions.
func (s *session) reading(index uint32, locate func(*Device) (uint32, protocol.InputType, bool), values []int32) {
	d := s.device(index)
	if d == nil {
		s.protocolError(fmt.Errorf("%w: reading for unknown device %d", ErrUnexpectedReply, index))
		return
	}
	feature, typ, ok := locate(d)
	if !ok {
		s.protocolError(fmt.Errorf("%w: reading for an unknown input of device %d", ErrUnexpectedReply, index))
		return
	}
	ev := InputReading{Device: d, Feature: feature, Type: typ, Values: values}
	s.c.events.publish(ev)
	d.deliverReading(ev)
}

func (s *session) device(index uint32) *Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.devices[index]
}

func (s *session) devicesV4(list map[uint32]protocol.DeviceInfo) []*Device {
	devs := make([]*Device, 0, len(list))
	for key, info := range list {
		if key != info.DeviceIndex {
			s.protocolError(fmt.Errorf("%w: DeviceList key %d holds device %d", ErrMalformed, key, info.DeviceIndex))
			continue
		}
		devs = append(devs, newDeviceV4(s, info))
	}
	return devs
}

// syncDevices makes the device table match a full list: devices missing
// from it or described differently are removed, new ones added.
func (s *session) syncDevices(list []*Device, full bool) {
	byIndex := make(map[uint32]*Device, len(list))
	for _, d := range list {
		byIndex[d.index] = d
	}
	var removed, added []*Device
	s.mu.Lock()
	for idx, old := range s.devices {
		if d, ok := byIndex[idx]; (full && !ok) || (ok && !reflect.DeepEqual(old.raw, d.raw)) {
			removed = append(removed, old)
			delete(s.devices, idx)
		}
	}
	for idx, d := range byIndex {
		if _, ok := s.devices[idx]; !ok {
			s.devices[idx] = d
			added = append(added, d)
		}
	}
	s.mu.Unlock()
	sortDevices(removed)
	sortDevices(added)
	for _, d := range removed {
		d.gone()
		s.c.events.publish(DeviceRemoved{Device: d})
	}
	for _, d := range added {
		s.c.events.publish(DeviceAdded{Device: d})
	}
}

func (s *session) addDevice(d *Device) { s.syncDevices([]*Device{d}, false) }

func (s *session) removeDevice(index uint32) {
	s.mu.Lock()
	d := s.devices[index]
	delete(s.devices, index)
	s.mu.Unlock()
	if d == nil {
		s.protocolError(fmt.Errorf("%w: DeviceRemoved for unknown device %d", ErrUnexpectedReply, index))
		return
	}
	d.gone()
	s.c.events.publish(DeviceRemoved{Device: d})
}

func sortDevices(ds []*Device) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].index < ds[j].index })
}

// snapshot returns the devices sorted by index.
func (s *session) snapshot() []*Device {
	s.mu.Lock()
	ds := make([]*Device, 0, len(s.devices))
	for _, d := range s.devices {
		ds = append(ds, d)
	}
	s.mu.Unlock()
	sortDevices(ds)
	return ds
}

// cleanup runs once in the read loop after the session ended: devices go,
// the client becomes free to connect again, and a session that was
// established reports the disconnect.
func (s *session) cleanup() {
	s.mu.Lock()
	devs := make([]*Device, 0, len(s.devices))
	for _, d := range s.devices {
		devs = append(devs, d)
	}
	s.devices = map[uint32]*Device{}
	established := s.established
	cause := s.cause
	s.mu.Unlock()
	sortDevices(devs)
	for _, d := range devs {
		d.gone()
	}
	s.c.released(s)
	if !established {
		return
	}
	s.log.Info("disconnected", "cause", cause)
	for _, d := range devs {
		s.c.events.publish(DeviceRemoved{Device: d})
	}
	s.c.events.publish(Disconnected{Err: disconnected(cause)})
}

// ticker is the part of time.Ticker the ping loop uses; tests replace it.
type ticker interface {
	C() <-chan time.Time
	Stop()
}

type timeTicker struct{ *time.Ticker }

func (t timeTicker) C() <-chan time.Time { return t.Ticker.C }

func newTimeTicker(d time.Duration) ticker { return timeTicker{time.NewTicker(d)} }

// startPing starts the ping loop unless the session already ended.
func (s *session) startPing(interval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	t := s.c.newTicker(interval)
	s.wg.Add(1)
	go s.pingLoop(t, interval)
}

// pingLoop pings on every tick. A ping must be answered before the next one
// is due; if not, the client reports it and disconnects, as the server is
// about to drop it anyway.
func (s *session) pingLoop(t ticker, interval time.Duration) {
	defer s.wg.Done()
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C():
		}
		ctx, cancel := context.WithTimeoutCause(s.ctx, interval, &timeoutError{what: "Ping", d: interval})
		err := s.requestOk(ctx, &protocol.Ping{})
		cancel()
		if err == nil {
			continue
		}
		if s.isEnded() {
			return
		}
		s.log.Warn("ping failed", "err", err)
		s.c.events.publish(PingFailed{Err: err})
		s.end(fmt.Errorf("%w: %w", ErrPingFailed, err))
		return
	}
}
