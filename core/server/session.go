package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/protocol"
)

// maxReads bounds the input reads in flight in a session: beyond it reads
// are refused with ERROR_DEVICE instead of piling up behind a device that
// stopped answering (the device bounds its queue of commands the same way).
const maxReads = 64

// drainTimeout bounds how long a session whose client closed its sending
// side (a TCP half-close, a websocket close) goes on answering the commands
// it had already sent, before it ends and every device stops.
const drainTimeout = 2 * time.Second

// session is one client connection from its first frame until its
// goroutines are gone. The reader (the goroutine of ServeConn) decodes and
// dispatches; commands for a device are queued on the device, which keeps
// their order, without waiting; reads and the waits for the device's
// answers run on goroutines of their own, so a device that hangs delays its
// own commands only. Every goroutine is counted
// in wg and ends with ctx.
type session struct {
	srv  *Server
	dm   DeviceManager
	conn connector.FrameConn
	log  *slog.Logger

	ctx      context.Context // done when the session ends
	cancel   context.CancelFunc
	done     chan struct{} // closed by end
	endOnce  sync.Once
	cause    error         // why the session ended; nil when the client left; set before done closes
	released chan struct{} // closed once every device was stopped after the end
	wg       sync.WaitGroup

	first []byte        // a frame read before the session started
	shook chan struct{} // closed by the handshake
	reads chan struct{} // a token per input read in flight
	ping  chan struct{} // a Ping arrived

	writeMu sync.Mutex

	// jobs hands a command's answer to an idle worker; spare counts the
	// workers waiting on it (see goWork).
	jobs  chan func()
	spare atomic.Int32

	// work counts the commands queued or running whose answer the client
	// has yet to get; drain waits for it to fall to zero.
	workMu   sync.Mutex
	work     int
	idle     chan struct{} // closed when work falls to zero, while drain waits
	draining atomic.Bool   // the client closed its sending side

	// evMu orders what the client learns about devices: the ServerInfo, the
	// device lists and the device events.
	evMu  sync.Mutex
	known map[uint32]bool // device indexes the client was told about

	mu      sync.Mutex
	ready   bool
	version protocol.Version
	client  string
	dec     protocol.Decoder
	views   map[Device]*view
	sensors map[subKey]uint32 // spec v3 subscriptions: their SensorIndex
	// scanning is set from StartScanning until the ScanningFinished that
	// follows: a client that did not ask to scan is not told it ended (the
	// scan of an earlier session may finish during this one).
	scanning bool
}

type subKey struct {
	device, feature uint32
	typ             protocol.InputType
}

func newSession(s *Server, conn connector.FrameConn) *session {
	ss := &session{
		srv:      s,
		dm:       s.dm,
		conn:     conn,
		log:      s.log,
		done:     make(chan struct{}),
		jobs:     make(chan func()),
		released: make(chan struct{}),
		shook:    make(chan struct{}),
		ping:     make(chan struct{}, 1),
		reads:    make(chan struct{}, maxReads),
		known:    map[uint32]bool{},
		views:    map[Device]*view{},
		sensors:  map[subKey]uint32{},
	}
	ss.ctx, ss.cancel = context.WithCancel(context.Background())
	return ss
}

// end closes the session; the first cause wins (nil: the client left).
func (ss *session) end(cause error) {
	ss.endOnce.Do(func() {
		ss.cause = cause
		close(ss.done)
		ss.cancel()
		ss.conn.Close()
	})
}

func (ss *session) ended() bool {
	select {
	case <-ss.done:
		return true
	default:
		return false
	}
}

func (ss *session) identity() (string, protocol.Version) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.client, ss.version
}

func (ss *session) describe() string {
	client, v := ss.identity()
	if client == "" {
		return "a client is connecting"
	}
	return fmt.Sprintf("client %q, spec %s", DisplayName(client), v)
}

// fail tells the client why its session ends, then ends it.
func (ss *session) fail(code protocol.ErrorCode, cause error) {
	ss.send(protocol.NewError(0, code, "%v", cause))
	ss.end(cause)
}

// run reads and handles frames until the session ends, then waits for its
// goroutines. It returns the cause.
func (ss *session) run(parent context.Context) error {
	ss.goTracked(func() {
		select {
		case <-parent.Done():
			ss.end(parent.Err())
		case <-ss.srv.ctx.Done():
			ss.end(ErrClosed)
		case <-ss.done:
		}
	})
	ss.goTracked(func() {
		t := time.NewTimer(ss.srv.opt.handshake)
		defer t.Stop()
		select {
		case <-t.C:
			ss.fail(protocol.ErrorInit, fmt.Errorf("%w: none within %v", ErrHandshakeTimeout, ss.srv.opt.handshake))
		case <-ss.shook:
		case <-ss.done:
		}
	})
	if ss.first != nil {
		ss.frame(ss.first)
	}
	for !ss.ended() {
		frame, err := ss.conn.ReadFrame()
		if err != nil {
			if errors.Is(err, connector.ErrFrameTooLarge) {
				ss.send(protocol.NewError(0, protocol.ErrorMsg, "%v", err))
				continue
			}
			if errors.Is(err, io.EOF) {
				// The client is done sending; it may still be reading,
				// as after a TCP half-close: answer what it sent.
				ss.draining.Store(true)
				ss.drain()
				err = nil
			} else if errors.Is(err, connector.ErrPeerClosed) {
				err = nil
			} else {
				err = fmt.Errorf("read from client: %w", err)
			}
			ss.end(err)
			break
		}
		ss.frame(frame)
	}
	ss.wg.Wait()
	return ss.cause
}

func (ss *session) goTracked(f func()) {
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		f()
	}()
}

// maxSpare bounds the workers a session keeps waiting for work: enough for
// the commands a client keeps in flight, little memory when it stops.
const maxSpare = 64

// goWork runs f, which answers a command, as work drain waits for, on a
// worker of the session. A worker waits for the next command's answer
// after its own rather than ending: a goroutine per command grew its stack
// twice on the way to the socket write, and the stack copies cost a tenth
// of the server's CPU under pipelined commands.
func (ss *session) goWork(f func()) {
	ss.addWork()
	job := func() {
		defer ss.doneWork()
		f()
	}
	select {
	case ss.jobs <- job:
		return
	default:
	}
	ss.goTracked(func() {
		for {
			job()
			if ss.spare.Add(1) > maxSpare {
				ss.spare.Add(-1)
				return
			}
			select {
			case job = <-ss.jobs:
				ss.spare.Add(-1)
			case <-ss.done:
				ss.spare.Add(-1)
				return
			}
		}
	})
}

func (ss *session) addWork() {
	ss.workMu.Lock()
	ss.work++
	ss.workMu.Unlock()
}

func (ss *session) doneWork() {
	ss.workMu.Lock()
	defer ss.workMu.Unlock()
	ss.work--
	if ss.work == 0 && ss.idle != nil {
		close(ss.idle)
		ss.idle = nil
	}
}

// drain waits, at most drainTimeout, until every command the client sent
// was answered.
func (ss *session) drain() {
	ss.workMu.Lock()
	if ss.work == 0 {
		ss.workMu.Unlock()
		return
	}
	idle := make(chan struct{})
	ss.idle = idle
	ss.workMu.Unlock()
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		ss.log.Warn("client closed its side with commands still running; ending the session", "after", drainTimeout)
	case <-ss.done:
	}
}

// send writes msgs as one frame. A write that fails ends the session.
func (ss *session) send(msgs ...protocol.Message) {
	frame, err := protocol.Encode(msgs...)
	if err != nil {
		// Our own message broke the schema: a server bug. The client still
		// gets an answer to its request.
		ss.log.Error("encoding a reply", "err", err)
		if id := msgs[0].MessageID(); id != 0 {
			frame, err = protocol.Encode(protocol.NewError(id, protocol.ErrorUnknown, "server could not encode %s: %v", msgs[0].MessageName(), err))
		}
		if err != nil {
			return
		}
	}
	ss.writeMu.Lock()
	defer ss.writeMu.Unlock()
	if ss.ended() {
		return
	}
	ctx := connector.NewDeadline(context.Background(), time.Now().Add(ss.srv.opt.writeTimeout))
	defer ctx.Release()
	if err := ss.conn.WriteFrame(ctx, frame); err != nil {
		if ss.draining.Load() {
			// It closed its sending side and is gone now: it left.
			ss.end(nil)
			return
		}
		ss.end(fmt.Errorf("write to client: %w", err))
	}
}

func (ss *session) ok(id uint32) { ss.send(&protocol.Ok{ID: id}) }

func (ss *session) reply(id uint32, err error) {
	if err != nil {
		ss.send(asError(id, err))
		return
	}
	ss.ok(id)
}

// frame handles one frame: each message on its own, so a bad one is
// answered and the others still run. Consecutive output commands for one
// device are queued together, so they reach the device in one flush: a
// spec v4 client has no other way to set several features at once.
func (ss *session) frame(frame []byte) {
	envs, err := protocol.SplitFrame(frame)
	if err != nil {
		ss.send(protocol.NewError(0, protocol.ErrorMsg, "%v", err))
		return
	}
	var b batch
	for i := range envs {
		if ss.ended() {
			return
		}
		m := ss.decode(&envs[i])
		if m == nil {
			continue
		}
		if index, ok := outputTarget(m); ok {
			if b.entries != nil && b.index != index {
				ss.flush(&b)
			}
			ss.addOutput(&b, index, m)
			continue
		}
		ss.flush(&b)
		ss.dispatch(m)
	}
	ss.flush(&b)
}

func envID(e *protocol.Envelope) uint32 {
	if e.HasID {
		return e.ID
	}
	return 0
}

// decode returns the message of e, or nil when e was answered already (the
// handshake, or a message that could not be decoded).
func (ss *session) decode(e *protocol.Envelope) protocol.Message {
	ss.mu.Lock()
	ready, dec := ss.ready, ss.dec
	ss.mu.Unlock()
	if !ready {
		ss.handshake(e)
		return nil
	}
	m, err := dec.DecodeEnvelope(e)
	if err != nil {
		ss.send(protocol.NewError(envID(e), protocol.ErrorMsg, "%v", err))
		return nil
	}
	return m
}

// handshake answers the first RequestServerInfo in the client's version.
// Anything else before it is refused with ERROR_INIT; the client may try
// again (a v4 client falling back to v3 does) until the deadline.
func (ss *session) handshake(e *protocol.Envelope) {
	id := envID(e)
	if e.Name != "RequestServerInfo" {
		ss.send(protocol.NewError(id, protocol.ErrorInit, "RequestServerInfo expected first, got %s", e.Name))
		return
	}
	v, err := protocol.DetectVersion(e)
	if err != nil {
		ss.send(protocol.NewError(id, protocol.ErrorInit, "%v", err))
		return
	}
	dec := protocol.Decoder{Version: v}
	m, err := dec.DecodeEnvelope(e)
	if err != nil {
		ss.send(protocol.NewError(id, protocol.ErrorMsg, "%v", err))
		return
	}
	var client string
	switch m := m.(type) {
	case *protocol.RequestServerInfo:
		client = m.ClientName
	case *protocol.RequestServerInfoV1:
		client = m.ClientName
	case *protocol.RequestServerInfoV0:
		client = m.ClientName
	}
	name, ping := ss.srv.opt.name, uint32(ss.srv.opt.maxPing/time.Millisecond)
	var info protocol.Message
	switch {
	case v == protocol.Version4:
		info = &protocol.ServerInfo{ID: id, ServerName: name, ProtocolVersionMajor: uint32(protocol.Version4), MaxPingTime: ping}
	case v >= protocol.Version2:
		info = &protocol.ServerInfoV2{ID: id, ServerName: name, MessageVersion: uint32(v), MaxPingTime: ping}
	default:
		info = &protocol.ServerInfoV0{ID: id, ServerName: name, MessageVersion: uint32(v), MaxPingTime: ping}
	}

	ss.mu.Lock()
	ss.client, ss.version = client, v
	ss.mu.Unlock()
	// Only now does the connection take the server: one that never says
	// hello keeps no one out.
	if err := ss.srv.take(ss); err != nil {
		ss.send(protocol.NewError(id, protocol.ErrorInit, "%v", err))
		ss.end(err)
		return
	}

	ss.evMu.Lock()
	ss.mu.Lock()
	ss.ready, ss.version, ss.client, ss.dec = true, v, client, dec
	ss.mu.Unlock()
	for _, d := range ss.dm.Devices() {
		ss.known[d.Info().DeviceIndex] = true
	}
	ss.send(info)
	ss.evMu.Unlock()

	close(ss.shook)
	if ss.srv.opt.maxPing > 0 {
		ss.goTracked(ss.watchdog)
	}
	ss.log.Info("client connected", "client", DisplayName(client), "version", v)
	ss.srv.notify(SessionEvent{Kind: SessionStarted, Client: client, Version: v})
}

// watchdog ends the session when no Ping arrives within MaxPingTime of the
// handshake or of the previous Ping.
func (ss *session) watchdog() {
	t := time.NewTimer(ss.srv.opt.maxPing)
	defer t.Stop()
	for {
		select {
		case <-ss.ping:
			if !t.Stop() {
				<-t.C
			}
			t.Reset(ss.srv.opt.maxPing)
		case <-t.C:
			ss.fail(protocol.ErrorPing, fmt.Errorf("%w of %v", ErrPingTimeout, ss.srv.opt.maxPing))
			return
		case <-ss.done:
			return
		}
	}
}

// serverMessages are sent by servers only; a client sending one gets
// ERROR_MSG.
var serverMessages = map[string]bool{
	"Ok": true, "Error": true, "ServerInfo": true, "DeviceList": true, "DeviceAdded": true,
	"DeviceRemoved": true, "ScanningFinished": true, "InputReading": true, "SensorReading": true,
	"BatteryLevelReading": true, "RSSILevelReading": true, "RawReading": true, "Log": true,
}

func (ss *session) dispatch(m protocol.Message) {
	id := m.MessageID()
	switch m := m.(type) {
	case *protocol.RequestServerInfo, *protocol.RequestServerInfoV1, *protocol.RequestServerInfoV0:
		ss.send(protocol.NewError(id, protocol.ErrorInit, "the handshake already happened"))
	case *protocol.Ping:
		select {
		case ss.ping <- struct{}{}:
		default:
		}
		ss.ok(id)
	case *protocol.Disconnect:
		ss.ok(id)
		ss.end(nil)
	case *protocol.StartScanning:
		// Set first: the manager may finish at once.
		ss.mu.Lock()
		ss.scanning = true
		ss.mu.Unlock()
		if err := ss.dm.StartScanning(ss.ctx); err != nil {
			ss.send(protocol.NewError(id, protocol.ErrorUnknown, "start scanning: %v", err))
			return
		}
		ss.ok(id)
	case *protocol.StopScanning:
		if err := ss.dm.StopScanning(ss.ctx); err != nil {
			ss.send(protocol.NewError(id, protocol.ErrorUnknown, "stop scanning: %v", err))
			return
		}
		ss.ok(id)
	case *protocol.RequestDeviceList:
		ss.deviceList(id)
	case *protocol.RequestLog:
		ss.ok(id) // accepted; this server streams no logs
	case *protocol.Test:
		ss.send(&protocol.Test{ID: id, TestString: m.TestString})
	case *protocol.StopAllDevices:
		ss.stopAll(id, true, true)
	case *protocol.StopCmd:
		ss.stopCmd(m)
	case *protocol.StopDeviceCmd:
		ss.onDevice(id, m.DeviceIndex, func(d Device, _ *view) (func(context.Context) error, error) {
			return d.QueueStop(ss.ctx, nil, true, true)
		})
	case *protocol.InputCmd:
		ss.inputCmd(m)
	case *protocol.SensorReadCmd:
		ss.sensorRead(m)
	case *protocol.SensorSubscribeCmd:
		ss.sensorSubscribe(id, m.DeviceIndex, m.SensorIndex, m.SensorType, true)
	case *protocol.SensorUnsubscribeCmd:
		ss.sensorSubscribe(id, m.DeviceIndex, m.SensorIndex, m.SensorType, false)
	case *protocol.BatteryLevelCmd:
		ss.batteryLevel(m)
	default:
		if serverMessages[m.MessageName()] {
			ss.send(protocol.NewError(id, protocol.ErrorMsg, "%s is a server message", m.MessageName()))
			return
		}
		// Raw*, RSSILevelCmd and the device-specific commands of spec v0–v1:
		// valid in the version, offered by no device here.
		ss.send(protocol.NewError(id, protocol.ErrorDevice, "%s is not supported by this server's devices", m.MessageName()))
	}
}

// outputTarget returns the device index of an output command.
func outputTarget(m protocol.Message) (uint32, bool) {
	switch m := m.(type) {
	case *protocol.OutputCmd:
		return m.DeviceIndex, true
	case *protocol.ScalarCmd:
		return m.DeviceIndex, true
	case *protocol.VibrateCmd:
		return m.DeviceIndex, true
	case *protocol.SingleMotorVibrateCmd:
		return m.DeviceIndex, true
	case *protocol.RotateCmd:
		return m.DeviceIndex, true
	case *protocol.LinearCmd:
		return m.DeviceIndex, true
	}
	return 0, false
}

// device returns the device at index and, for old clients, its view.
func (ss *session) device(index uint32) (Device, *view, error) {
	d, ok := ss.dm.Device(index)
	if !ok {
		return nil, nil, protocol.NewError(0, protocol.ErrorDevice, "no device with index %d", index)
	}
	if _, v := ss.identity(); v == protocol.Version4 {
		return d, nil, nil
	}
	return d, ss.viewOf(d), nil
}

// onDevice resolves the device of request id and has queue queue the
// request on it; the answer follows once the device's wait returns. Errors
// are answered at once.
func (ss *session) onDevice(id, index uint32, queue func(Device, *view) (wait func(context.Context) error, err error)) {
	d, v, err := ss.device(index)
	if err != nil {
		ss.reply(id, err)
		return
	}
	wait, err := queue(d, v)
	if err != nil {
		ss.reply(id, err)
		return
	}
	ss.goWork(func() { ss.reply(id, wait(ss.ctx)) })
}

// batch is consecutive output commands of one frame for one device.
type batch struct {
	index   uint32
	dev     Device
	entries []batchEntry
}

type batchEntry struct {
	id   uint32
	outs []device.FeatureOutput
}

// addOutput translates an output command and adds it to b; a command that
// cannot be translated is answered at once.
func (ss *session) addOutput(b *batch, index uint32, m protocol.Message) {
	id := m.MessageID()
	d, v, err := ss.device(index)
	if err != nil {
		ss.reply(id, err)
		return
	}
	var outs []device.FeatureOutput
	if c, ok := m.(*protocol.OutputCmd); ok {
		outs = []device.FeatureOutput{{Feature: c.FeatureIndex, Command: c.Command}}
	} else if outs, _, err = v.outputs(m); err != nil {
		ss.reply(id, err)
		return
	}
	if b.entries != nil && b.dev != d {
		ss.flush(b)
	}
	b.index, b.dev = index, d
	b.entries = append(b.entries, batchEntry{id: id, outs: outs})
}

// flush queues b's commands on the device as one call, so that they
// reach it in one flush.
func (ss *session) flush(b *batch) {
	if len(b.entries) == 0 {
		return
	}
	entries, d := b.entries, b.dev
	*b = batch{}
	var all []device.FeatureOutput
	if len(entries) == 1 {
		all = entries[0].outs
	} else {
		for _, e := range entries {
			all = append(all, e.outs...)
		}
	}
	wait, err := d.QueueOutputs(all)
	if err == nil {
		ss.goWork(func() {
			err := wait(ss.ctx)
			for _, e := range entries {
				ss.reply(e.id, err)
			}
		})
		return
	}
	if len(entries) == 1 {
		ss.reply(entries[0].id, err)
		return
	}
	// Something was refused: queue the commands one by one, so that each
	// gets its own answer.
	for _, e := range entries {
		wait, err := d.QueueOutputs(e.outs)
		if err != nil {
			ss.reply(e.id, err)
			continue
		}
		ss.goWork(func() { ss.reply(e.id, wait(ss.ctx)) })
	}
}

// stopAll queues a stop on every device, behind the commands already
// queued there, and answers once all are stopped.
func (ss *session) stopAll(id uint32, inputs, outputs bool) {
	var waits []func(context.Context) error
	var errs []error
	for _, d := range ss.dm.Devices() {
		wait, err := d.QueueStop(ss.ctx, nil, inputs, outputs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		waits = append(waits, wait)
	}
	ss.goWork(func() {
		for _, w := range waits {
			if err := w(ss.ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if ss.ended() {
			return
		}
		ss.reply(id, errors.Join(errs...))
	})
}

func (ss *session) stopCmd(m *protocol.StopCmd) {
	inputs, outputs := true, true
	if m.Inputs != nil {
		inputs = *m.Inputs
	}
	if m.Outputs != nil {
		outputs = *m.Outputs
	}
	if m.DeviceIndex == nil {
		ss.stopAll(m.ID, inputs, outputs)
		return
	}
	feature := m.FeatureIndex
	ss.onDevice(m.ID, *m.DeviceIndex, func(d Device, _ *view) (func(context.Context) error, error) {
		return d.QueueStop(ss.ctx, feature, inputs, outputs)
	})
}

// read runs an input read on its own goroutine: reads keep no order, and a
// device that never answers must not hold up the session.
func (ss *session) read(d Device, feature uint32, t protocol.InputType, answer func(int32, error)) {
	select {
	case ss.reads <- struct{}{}:
	default:
		answer(0, protocol.NewError(0, protocol.ErrorDevice, "%d reads are waiting for devices; try again later", maxReads))
		return
	}
	ss.goWork(func() {
		v, err := d.Input(ss.ctx, feature, t, protocol.InputCommandRead)
		// The slot is free once the device answered, before the client
		// hears it: a client that reads again on the reply must find room.
		<-ss.reads
		answer(v, err)
	})
}

func (ss *session) inputCmd(m *protocol.InputCmd) {
	d, _, err := ss.device(m.DeviceIndex)
	if err != nil {
		ss.reply(m.ID, err)
		return
	}
	if m.Command == protocol.InputCommandRead {
		ss.read(d, m.FeatureIndex, m.Type, func(v int32, err error) {
			if err != nil {
				ss.reply(m.ID, err)
				return
			}
			ss.send(&protocol.InputReading{ID: m.ID, DeviceIndex: m.DeviceIndex, FeatureIndex: m.FeatureIndex,
				Reading: protocol.InputValue{Type: m.Type, Value: v}})
		})
		return
	}
	ss.onDevice(m.ID, m.DeviceIndex, func(d Device, _ *view) (func(context.Context) error, error) {
		return d.QueueInput(m.FeatureIndex, m.Type, m.Command)
	})
}

func (ss *session) sensorRead(m *protocol.SensorReadCmd) {
	d, v, err := ss.device(m.DeviceIndex)
	if err == nil {
		var s sensor
		if s, err = v.sensorFor(v.read, m.SensorIndex, m.SensorType, "SensorReadCmd"); err == nil {
			ss.read(d, s.feature, s.typ, func(val int32, err error) {
				if err != nil {
					ss.reply(m.ID, err)
					return
				}
				ss.send(&protocol.SensorReading{ID: m.ID, DeviceIndex: m.DeviceIndex, SensorIndex: m.SensorIndex,
					SensorType: m.SensorType, Data: []int32{val}})
			})
			return
		}
	}
	ss.reply(m.ID, err)
}

func (ss *session) sensorSubscribe(id, index, sensorIndex uint32, t protocol.SensorType, on bool) {
	what, cmd := "SensorSubscribeCmd", protocol.InputCommandSubscribe
	if !on {
		what, cmd = "SensorUnsubscribeCmd", protocol.InputCommandUnsubscribe
	}
	ss.onDevice(id, index, func(d Device, v *view) (func(context.Context) error, error) {
		s, err := v.sensorFor(v.sub, sensorIndex, t, what)
		if err != nil {
			return nil, err
		}
		wait, err := d.QueueInput(s.feature, s.typ, cmd)
		if err != nil {
			return nil, err
		}
		// Recorded in call order, as the device takes the requests: a
		// subscription that then fails delivers no readings anyway.
		key := subKey{device: index, feature: s.feature, typ: s.typ}
		ss.mu.Lock()
		if on {
			ss.sensors[key] = sensorIndex
		} else {
			delete(ss.sensors, key)
		}
		ss.mu.Unlock()
		return wait, nil
	})
}

func (ss *session) batteryLevel(m *protocol.BatteryLevelCmd) {
	d, v, err := ss.device(m.DeviceIndex)
	if err != nil {
		ss.reply(m.ID, err)
		return
	}
	s, ok := v.readSensor(protocol.InputBattery)
	if !ok {
		ss.send(protocol.NewError(m.ID, protocol.ErrorDevice, "device %d has no battery", m.DeviceIndex))
		return
	}
	ss.read(d, s.feature, s.typ, func(val int32, err error) {
		if err != nil {
			ss.reply(m.ID, err)
			return
		}
		level := min(max(float64(val)/100, 0), 1)
		ss.send(&protocol.BatteryLevelReading{ID: m.ID, DeviceIndex: m.DeviceIndex, BatteryLevel: level})
	})
}

// deviceList answers RequestDeviceList in the client's version.
func (ss *session) deviceList(id uint32) {
	ss.evMu.Lock()
	defer ss.evMu.Unlock()
	devs := ss.dm.Devices()
	clear(ss.known)
	for _, d := range devs {
		ss.known[d.Info().DeviceIndex] = true
	}
	ss.send(ss.listMessage(id, devs))
}

func (ss *session) listMessage(id uint32, devs []Device) protocol.Message {
	_, v := ss.identity()
	if v == protocol.Version4 {
		l := &protocol.DeviceList{ID: id, Devices: make(map[uint32]protocol.DeviceInfo, len(devs))}
		for _, d := range devs {
			info := d.Info()
			l.Devices[info.DeviceIndex] = info
		}
		return l
	}
	views := make([]*view, len(devs))
	for i, d := range devs {
		views[i] = ss.viewOf(d)
	}
	switch v {
	case protocol.Version3:
		l := &protocol.DeviceListV3{ID: id, Devices: []protocol.DeviceInfoV3{}}
		for _, w := range views {
			l.Devices = append(l.Devices, w.v3())
		}
		return l
	case protocol.Version2:
		l := &protocol.DeviceListV2{ID: id, Devices: []protocol.DeviceInfoV2{}}
		for _, w := range views {
			l.Devices = append(l.Devices, w.v2())
		}
		return l
	case protocol.Version1:
		l := &protocol.DeviceListV1{ID: id, Devices: []protocol.DeviceInfoV1{}}
		for _, w := range views {
			l.Devices = append(l.Devices, w.v1())
		}
		return l
	}
	l := &protocol.DeviceListV0{ID: id, Devices: []protocol.DeviceInfoV0{}}
	for _, w := range views {
		l.Devices = append(l.Devices, w.v0())
	}
	return l
}

// viewOf returns the view of d, made once per session: a device's
// description does not change while it is connected.
func (ss *session) viewOf(d Device) *view {
	ss.mu.Lock()
	v := ss.views[d]
	ss.mu.Unlock()
	if v != nil {
		return v
	}
	v = newView(d.Info())
	ss.mu.Lock()
	ss.views[d] = v
	ss.mu.Unlock()
	return v
}

func added(v protocol.Version, w *view) protocol.Message {
	switch v {
	case protocol.Version3:
		return &protocol.DeviceAddedV3{DeviceInfoV3: w.v3()}
	case protocol.Version2:
		return &protocol.DeviceAddedV2{DeviceInfoV2: w.v2()}
	case protocol.Version1:
		return &protocol.DeviceAddedV1{DeviceInfoV1: w.v1()}
	}
	return &protocol.DeviceAddedV0{DeviceInfoV0: w.v0()}
}

// deviceEvent tells the client about a device event of the manager.
func (ss *session) deviceEvent(e device.Event) {
	ss.mu.Lock()
	ready, v := ss.ready, ss.version
	ss.mu.Unlock()
	if !ready || ss.ended() {
		return
	}
	switch e.Kind {
	case device.DeviceAdded, device.DeviceRemoved:
		ss.syncDevices(v)
	case device.ScanningFinished:
		ss.mu.Lock()
		asked := ss.scanning
		ss.scanning = false
		ss.mu.Unlock()
		if asked {
			ss.send(&protocol.ScanningFinished{})
		}
	case device.InputReading:
		ss.reading(v, e.Reading)
	}
}

// syncDevices compares the devices with those the client knows: a spec v4
// client gets the whole list when anything changed, older clients one
// DeviceAdded or DeviceRemoved per change.
func (ss *session) syncDevices(v protocol.Version) {
	ss.evMu.Lock()
	defer ss.evMu.Unlock()
	devs := ss.dm.Devices()
	now := make(map[uint32]Device, len(devs))
	for _, d := range devs {
		now[d.Info().DeviceIndex] = d
	}
	var gone, fresh []uint32
	for i := range ss.known {
		if now[i] == nil {
			gone = append(gone, i)
		}
	}
	for i := range now {
		if !ss.known[i] {
			fresh = append(fresh, i)
		}
	}
	if len(gone) == 0 && len(fresh) == 0 {
		return
	}
	sort.Slice(gone, func(a, b int) bool { return gone[a] < gone[b] })
	sort.Slice(fresh, func(a, b int) bool { return fresh[a] < fresh[b] })
	for _, i := range gone {
		delete(ss.known, i)
	}
	for _, i := range fresh {
		ss.known[i] = true
	}
	if v == protocol.Version4 {
		ss.send(ss.listMessage(0, devs))
		return
	}
	for _, i := range gone {
		ss.send(&protocol.DeviceRemoved{DeviceIndex: i})
	}
	for _, i := range fresh {
		ss.send(added(v, ss.viewOf(now[i])))
	}
}

// reading forwards a subscribed input reading: as is to spec v4 clients, as
// a SensorReading to spec v3 clients that subscribed with SensorSubscribeCmd.
func (ss *session) reading(v protocol.Version, r protocol.InputReading) {
	r.ID = 0
	if v == protocol.Version4 {
		ss.send(&r)
		return
	}
	ss.mu.Lock()
	idx, ok := ss.sensors[subKey{device: r.DeviceIndex, feature: r.FeatureIndex, typ: r.Reading.Type}]
	ss.mu.Unlock()
	st, known := sensorTypes[r.Reading.Type]
	if !ok || !known {
		return
	}
	ss.send(&protocol.SensorReading{DeviceIndex: r.DeviceIndex, SensorIndex: idx, SensorType: st, Data: []int32{r.Reading.Value}})
}
