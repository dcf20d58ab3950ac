// Package fakeserver is a scripted Buttplug server for the client's tests. It
// speaks spec v4 or only spec v3, refuses v4 the ways real servers do, answers
// requests with sensible defaults that a test can override message by
// message, pushes events, sends malformed frames, and records every frame the
// client sent, decoded strictly so that anything off-schema shows up.
//
// Sessions run over connector.Pipe; Server.Connector returns a connector that
// opens a new session on every Connect, the way a network connector dials.
package fakeserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// Refusal is how a spec v3 server meets a spec v4 handshake.
type Refusal int

const (
	// RefuseWithError answers an Error and then takes a v3 handshake on the
	// same connection (the WASM reference server).
	RefuseWithError Refusal = iota
	// RefuseSilently drops the request without a reply (buttplug-rs 7–9).
	RefuseSilently
	// RefuseAndClose answers an Error and closes the connection.
	RefuseAndClose
	// RefuseAndLatch answers an Error and refuses every later handshake on
	// that connection, so the client has to reconnect.
	RefuseAndLatch
)

// Handler answers one client message. handled false falls back to the
// default answer; handled true with no replies sends nothing.
type Handler func(s *Session, m protocol.Message) (replies []protocol.Message, handled bool)

// Config describes the server.
type Config struct {
	// Name is the ServerName (default "fake server").
	Name string
	// Version is the newest spec version spoken: Version4 (default) or
	// Version3. Both accept v3 clients.
	Version protocol.Version
	// Refusal applies when Version is Version3 and a client asks for v4.
	Refusal Refusal
	// MaxPingTime in milliseconds; Ping is refused with ERROR_PING when 0.
	MaxPingTime uint32
	// DevicesV4 and DevicesV3 are the devices of v4 and v3 sessions.
	DevicesV4 []protocol.DeviceInfo
	DevicesV3 []protocol.DeviceInfoV3
	// Readings are the values InputCmd/SensorReadCmd reads return (default
	// 50).
	Readings map[protocol.InputType]int32
	// Handler, when set, is asked first for every message after the
	// handshake.
	Handler Handler
	// Absent makes Connect fail as if nothing listened.
	Absent bool
}

// Server hands out sessions.
type Server struct {
	cfg      Config
	sessions chan *Session
	wg       sync.WaitGroup

	mu    sync.Mutex
	all   []*Session
	count int
}

// New returns a server.
func New(cfg Config) *Server {
	if cfg.Name == "" {
		cfg.Name = "fake server"
	}
	if cfg.Version == 0 {
		cfg.Version = protocol.Version4
	}
	return &Server{cfg: cfg, sessions: make(chan *Session, 16)}
}

// Connector returns a connector that opens a new session on every Connect.
func (srv *Server) Connector() *Dialer { return &Dialer{srv: srv} }

// Pipe opens a session and returns the client's end of it.
func (srv *Server) Pipe() *connector.PipeEnd {
	a, b := connector.Pipe(0)
	srv.serve(b)
	return a
}

// NextSession waits for the next session opened by a client. A session
// already opened is returned even when ctx is done.
func (srv *Server) NextSession(ctx context.Context) (*Session, error) {
	select {
	case s := <-srv.sessions:
		return s, nil
	default:
	}
	select {
	case s := <-srv.sessions:
		return s, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("fakeserver: waiting for a session: %w", ctx.Err())
	}
}

// Connections is the number of sessions opened so far.
func (srv *Server) Connections() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.count
}

// Close ends every session and waits for their goroutines.
func (srv *Server) Close() {
	srv.mu.Lock()
	all := slices.Clone(srv.all)
	srv.mu.Unlock()
	for _, s := range all {
		s.Close()
	}
	srv.wg.Wait()
}

func (srv *Server) serve(end *connector.PipeEnd) *Session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{srv: srv, end: end, ctx: ctx, cancel: cancel, notify: make(chan struct{}, 1), done: make(chan struct{})}
	s.devV4 = slices.Clone(srv.cfg.DevicesV4)
	s.devV3 = slices.Clone(srv.cfg.DevicesV3)
	srv.mu.Lock()
	srv.all = append(srv.all, s)
	srv.count++
	srv.mu.Unlock()
	select {
	case srv.sessions <- s:
	default: // nobody waits for sessions in this test
	}
	srv.wg.Add(1)
	go s.run()
	return s
}

// Frame is one frame the client sent.
type Frame struct {
	// Raw is the frame as sent.
	Raw string
	// Msgs are its messages, decoded strictly in the session's version.
	Msgs []protocol.Message
	// Err is the decode error, if the frame broke the schema.
	Err error
}

// Session is one client connection.
type Session struct {
	srv    *Server
	end    *connector.PipeEnd
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	version    protocol.Version
	handshaken bool
	latched    bool
	frames     []Frame
	notify     chan struct{}
	handler    Handler
	devV4      []protocol.DeviceInfo
	devV3      []protocol.DeviceInfoV3
}

// Version is the negotiated version (0 before the handshake).
func (s *Session) Version() protocol.Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// SetHandler replaces the session's handler (nil restores the server's).
func (s *Session) SetHandler(h Handler) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Next returns the next frame the client sent.
func (s *Session) Next(ctx context.Context) (Frame, error) {
	for {
		s.mu.Lock()
		if len(s.frames) > 0 {
			f := s.frames[0]
			s.frames = s.frames[1:]
			s.mu.Unlock()
			return f, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return Frame{}, fmt.Errorf("fakeserver: waiting for a frame: %w", ctx.Err())
		}
	}
}

// Pending returns the frames received and not yet taken by Next.
func (s *Session) Pending() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.frames)
}

// Send sends msgs, one frame each, in order.
func (s *Session) Send(msgs ...protocol.Message) error {
	for _, m := range msgs {
		f, err := protocol.Encode(m)
		if err != nil {
			return fmt.Errorf("fakeserver: %w", err)
		}
		if err := s.end.Send(s.ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// SendFrame sends msgs together in one frame.
func (s *Session) SendFrame(msgs ...protocol.Message) error {
	f, err := protocol.Encode(msgs...)
	if err != nil {
		return fmt.Errorf("fakeserver: %w", err)
	}
	return s.end.Send(s.ctx, f)
}

// SendRaw sends frame as is.
func (s *Session) SendRaw(frame string) error { return s.end.Send(s.ctx, []byte(frame)) }

// Close closes the connection; the client sees the peer close.
func (s *Session) Close() { s.CloseWithCause(nil) }

// CloseWithCause closes the connection with a transport error as cause.
func (s *Session) CloseWithCause(err error) {
	s.end.CloseWithCause(err)
	s.cancel()
}

// Done is closed when the session's goroutine has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// AddDeviceV4 adds a device to a v4 session and pushes the DeviceList.
func (s *Session) AddDeviceV4(info protocol.DeviceInfo) error {
	s.mu.Lock()
	s.devV4 = append(s.devV4, info)
	list := s.listV4(0)
	s.mu.Unlock()
	return s.Send(list)
}

// AddDeviceV3 adds a device to a v3 session and pushes DeviceAdded.
func (s *Session) AddDeviceV3(info protocol.DeviceInfoV3) error {
	s.mu.Lock()
	s.devV3 = append(s.devV3, info)
	s.mu.Unlock()
	return s.Send(&protocol.DeviceAddedV3{DeviceInfoV3: info})
}

// RemoveDevice removes a device and tells the client the way the session's
// version does: a DeviceList (v4) or DeviceRemoved (v3).
func (s *Session) RemoveDevice(index uint32) error {
	s.mu.Lock()
	s.devV4 = slices.DeleteFunc(s.devV4, func(d protocol.DeviceInfo) bool { return d.DeviceIndex == index })
	s.devV3 = slices.DeleteFunc(s.devV3, func(d protocol.DeviceInfoV3) bool { return d.DeviceIndex == index })
	v4 := s.version == protocol.Version4
	list := s.listV4(0)
	s.mu.Unlock()
	if v4 {
		return s.Send(list)
	}
	return s.Send(&protocol.DeviceRemoved{DeviceIndex: index})
}

// listV4 builds the v4 DeviceList; s.mu must be held.
func (s *Session) listV4(id uint32) *protocol.DeviceList {
	l := &protocol.DeviceList{ID: id, Devices: map[uint32]protocol.DeviceInfo{}}
	for _, d := range s.devV4 {
		l.Devices[d.DeviceIndex] = d
	}
	return l
}

func (s *Session) run() {
	defer s.srv.wg.Done()
	defer close(s.done)
	defer s.cancel()
	for {
		raw, err := s.end.Recv(s.ctx)
		if err != nil {
			s.end.Close()
			return
		}
		f := s.decode(raw)
		s.mu.Lock()
		s.frames = append(s.frames, f)
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
		for _, reply := range s.replies(f) {
			if reply == nil { // close requested
				s.end.Close()
				return
			}
			if err := s.Send(reply); err != nil {
				return
			}
		}
	}
}

// decode reads a frame strictly, detecting the version from the first
// RequestServerInfo.
func (s *Session) decode(raw []byte) Frame {
	f := Frame{Raw: string(raw)}
	s.mu.Lock()
	v, known := s.version, s.handshaken
	s.mu.Unlock()
	if !known {
		envs, err := protocol.SplitFrame(raw)
		if err != nil {
			f.Err = err
			return f
		}
		if v, err = protocol.DetectVersion(&envs[0]); err != nil {
			f.Err = err
			return f
		}
	}
	d := protocol.Decoder{Version: v}
	f.Msgs, f.Err = d.Decode(raw)
	return f
}

// closeConn in a reply list closes the connection after what precedes it.
var closeConn protocol.Message

func (s *Session) replies(f Frame) []protocol.Message {
	if f.Err != nil {
		var de *protocol.DecodeError
		id := uint32(0)
		if errors.As(f.Err, &de) && de.HasID {
			id = de.ID
		}
		return []protocol.Message{protocol.NewError(id, protocol.ErrorMsg, "%v", f.Err)}
	}
	var out []protocol.Message
	for _, m := range f.Msgs {
		out = append(out, s.reply(m)...)
	}
	return out
}

func (s *Session) reply(m protocol.Message) []protocol.Message {
	id := m.MessageID()
	cfg := &s.srv.cfg
	s.mu.Lock()
	handshaken, latched := s.handshaken, s.latched
	h := s.handler
	if h == nil {
		h = cfg.Handler
	}
	s.mu.Unlock()

	switch rsi := m.(type) {
	case *protocol.RequestServerInfo:
		if handshaken {
			return []protocol.Message{protocol.NewError(id, protocol.ErrorInit, "HandshakeAlreadyHappened")}
		}
		if cfg.Version < protocol.Version4 {
			refusal := protocol.NewError(id, protocol.ErrorMsg, "spec v4 is not supported by this server")
			switch cfg.Refusal {
			case RefuseSilently:
				return nil
			case RefuseAndClose:
				return []protocol.Message{refusal, closeConn}
			case RefuseAndLatch:
				s.mu.Lock()
				s.latched = true
				s.mu.Unlock()
			}
			return []protocol.Message{refusal}
		}
		s.established(protocol.Version4)
		return []protocol.Message{&protocol.ServerInfo{ID: id, ServerName: cfg.Name, ProtocolVersionMajor: 4, ProtocolVersionMinor: 0, MaxPingTime: cfg.MaxPingTime}}
	case *protocol.RequestServerInfoV1:
		if handshaken || latched {
			return []protocol.Message{protocol.NewError(id, protocol.ErrorInit, "HandshakeAlreadyHappened")}
		}
		if rsi.MessageVersion != 3 {
			return []protocol.Message{protocol.NewError(id, protocol.ErrorInit, "this server speaks spec v3 and v4 only")}
		}
		s.established(protocol.Version3)
		return []protocol.Message{&protocol.ServerInfoV2{ID: id, ServerName: cfg.Name, MessageVersion: 3, MaxPingTime: cfg.MaxPingTime}}
	}
	if !handshaken {
		return []protocol.Message{protocol.NewError(id, protocol.ErrorInit, "RequestServerInfo expected")}
	}
	if h != nil {
		if replies, ok := h(s, m); ok {
			return replies
		}
	}
	return s.defaultReply(m)
}

func (s *Session) established(v protocol.Version) {
	s.mu.Lock()
	s.version, s.handshaken = v, true
	s.mu.Unlock()
}

func (s *Session) reading(t protocol.InputType) int32 {
	if v, ok := s.srv.cfg.Readings[t]; ok {
		return v
	}
	return 50
}

// defaultReply answers like a well-behaved server with every device
// working.
func (s *Session) defaultReply(m protocol.Message) []protocol.Message {
	id := m.MessageID()
	ok := []protocol.Message{&protocol.Ok{ID: id}}
	switch msg := m.(type) {
	case *protocol.Ping:
		if s.srv.cfg.MaxPingTime == 0 {
			return []protocol.Message{protocol.NewError(id, protocol.ErrorPing, "PingTimerNotRunning")}
		}
	case *protocol.RequestDeviceList:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.version == protocol.Version4 {
			return []protocol.Message{s.listV4(id)}
		}
		return []protocol.Message{&protocol.DeviceListV3{ID: id, Devices: append([]protocol.DeviceInfoV3{}, s.devV3...)}}
	case *protocol.InputCmd:
		if msg.Command == protocol.InputCommandRead {
			return []protocol.Message{&protocol.InputReading{ID: id, DeviceIndex: msg.DeviceIndex, FeatureIndex: msg.FeatureIndex, Reading: protocol.InputValue{Type: msg.Type, Value: s.reading(msg.Type)}}}
		}
	case *protocol.SensorReadCmd:
		t := map[protocol.SensorType]protocol.InputType{protocol.SensorBattery: protocol.InputBattery, protocol.SensorRSSI: protocol.InputRssi, protocol.SensorButton: protocol.InputButton, protocol.SensorPressure: protocol.InputPressure}[msg.SensorType]
		return []protocol.Message{&protocol.SensorReading{ID: id, DeviceIndex: msg.DeviceIndex, SensorIndex: msg.SensorIndex, SensorType: msg.SensorType, Data: []int32{s.reading(t)}}}
	}
	return ok
}

// Dialer is a connector.Connector that opens a new session of its server on
// every Connect.
type Dialer struct {
	srv *Server

	mu       sync.Mutex
	end      *connector.PipeEnd
	connects int
}

var _ connector.Connector = (*Dialer)(nil)

// Connect opens a new session.
func (d *Dialer) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.srv.cfg.Absent {
		return fmt.Errorf("fakeserver: dial: %w", connector.ErrServerAbsent)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.end != nil && d.end.Connect(ctx) == nil {
		return connector.ErrAlreadyConnected
	}
	d.end = d.srv.Pipe()
	d.connects++
	return nil
}

// Connects is how often Connect opened a session.
func (d *Dialer) Connects() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.connects
}

func (d *Dialer) current() (*connector.PipeEnd, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.end == nil {
		return nil, connector.ErrNotConnected
	}
	return d.end, nil
}

// Send sends on the current session.
func (d *Dialer) Send(ctx context.Context, frame []byte) error {
	end, err := d.current()
	if err != nil {
		return err
	}
	return end.Send(ctx, frame)
}

// Recv receives from the current session.
func (d *Dialer) Recv(ctx context.Context) ([]byte, error) {
	end, err := d.current()
	if err != nil {
		return nil, err
	}
	return end.Recv(ctx)
}

// Close closes the current session.
func (d *Dialer) Close() error {
	end, err := d.current()
	if err != nil {
		return nil
	}
	return end.Close()
}
