// Package server is an embedded Buttplug server: it serves one client session
// at a time over any frame connection (in process, websocket, TCP or Unix
// socket), speaks spec v4 and the older message versions 0–3 to each client
// in that client's own version, and drives the devices of a device manager.
//
// Safety comes first: whenever a session ends, for whatever reason (the
// client left or vanished, it missed a ping, it sent Disconnect, the server
// is closing), every device is stopped before the next client is admitted.
//
// A Go application runs the server in process and connects the client to
// it with Server.Connector; `bphost serve` puts the same server on the
// network with core/server/listen.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/internal/observers"
)

// Defaults of the options.
const (
	DefaultName             = "bphost"
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultStopTimeout      = 5 * time.Second
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrBusy: another client has the server; the new one was refused with
	// an ERROR_INIT Error.
	ErrBusy = errors.New("server: another client is connected")
	// ErrClosed: the server was closed.
	ErrClosed = errors.New("server: closed")
	// ErrHandshakeTimeout: the client sent no valid RequestServerInfo in time.
	ErrHandshakeTimeout = errors.New("server: no handshake in time")
	// ErrPingTimeout: the client missed its ping deadline.
	ErrPingTimeout = errors.New("server: client missed its ping deadline")
)

type options struct {
	name         string
	maxPing      time.Duration
	handshake    time.Duration
	writeTimeout time.Duration
	stopTimeout  time.Duration
	log          *slog.Logger
	observe      func(SessionEvent)
}

// Option configures a Server.
type Option func(*options)

// WithName sets the ServerName clients see (default DefaultName).
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithMaxPingTime makes clients ping at least every d (whole milliseconds);
// a session that misses it ends with ERROR_PING and every device stops.
// 0, the default, needs no pings, as Intiface's default.
func WithMaxPingTime(d time.Duration) Option { return func(o *options) { o.maxPing = d } }

// WithHandshakeTimeout drops a client that sends no valid RequestServerInfo
// within d (default DefaultHandshakeTimeout).
func WithHandshakeTimeout(d time.Duration) Option { return func(o *options) { o.handshake = d } }

// WithWriteTimeout bounds each write to a client; a client that takes
// longer to read is dropped (default DefaultWriteTimeout).
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// WithStopTimeout bounds stopping every device when a session ends (default
// DefaultStopTimeout).
func WithStopTimeout(d time.Duration) Option { return func(o *options) { o.stopTimeout = d } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithSessionObserver calls f when a client completes its handshake, when a
// session ends (after every device was stopped) and when a client is
// refused. f runs on the session's goroutines and must not block.
func WithSessionObserver(f func(SessionEvent)) Option { return func(o *options) { o.observe = f } }

// SessionEventKind says what a SessionEvent reports.
type SessionEventKind int

// Session event kinds.
const (
	// SessionStarted: a client completed its handshake.
	SessionStarted SessionEventKind = iota + 1
	// SessionEnded: a session ended and every device was stopped.
	SessionEnded
	// SessionRefused: a client was turned away (Err says why).
	SessionRefused
)

// String names the kind.
func (k SessionEventKind) String() string {
	switch k {
	case SessionStarted:
		return "SessionStarted"
	case SessionEnded:
		return "SessionEnded"
	case SessionRefused:
		return "SessionRefused"
	}
	return fmt.Sprintf("SessionEventKind(%d)", int(k))
}

// SessionEvent reports the life of client sessions.
type SessionEvent struct {
	Kind SessionEventKind
	// Client is the ClientName of the handshake ("" before one).
	Client string
	// Version is the spec version agreed in the handshake.
	Version protocol.Version
	// Err is why the session ended or was refused; nil when the client
	// left on its own (Disconnect, or closing the connection).
	Err error
}

// Server serves Buttplug clients, one session at a time, over a device
// manager. It is safe for concurrent use. It owns one goroutine that
// follows the device manager's events, plus the goroutines of the current
// session; Close stops them all. It does not close the device manager.
type Server struct {
	dm  DeviceManager
	opt options
	log *slog.Logger

	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	pumpDone chan struct{}
	conns    sync.WaitGroup // ServeConn calls in flight
	watch    observers.List[SessionEvent]

	mu     sync.Mutex
	cur    *session // the session holding the server, until its devices stopped
	closed bool
}

// New returns a server over dm. It starts following dm's events at once.
func New(dm DeviceManager, opts ...Option) *Server {
	o := options{
		name:         DefaultName,
		handshake:    DefaultHandshakeTimeout,
		writeTimeout: DefaultWriteTimeout,
		stopTimeout:  DefaultStopTimeout,
	}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	s := &Server{dm: dm, opt: o, log: o.log, pumpDone: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.pump()
	return s
}

// Name is the ServerName clients see.
func (s *Server) Name() string { return s.opt.name }

// pump hands the device manager's events to the current session.
func (s *Server) pump() {
	defer close(s.pumpDone)
	for {
		select {
		case e, ok := <-s.dm.Events():
			if !ok {
				return
			}
			s.mu.Lock()
			cur := s.cur
			s.mu.Unlock()
			if cur != nil {
				cur.deviceEvent(e)
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// ServeConn runs one client session on conn and returns when it is over
// and every device was stopped; it closes conn. The client left on its
// own when ReadFrame reports io.EOF or connector.ErrPeerClosed. While another client has
// the server, conn is answered with an ERROR_INIT Error and closed, and
// the result wraps ErrBusy. A session that is ending is waited for. The
// result is nil when the client left on its own.
func (s *Server) ServeConn(ctx context.Context, conn connector.FrameConn) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.refuse(conn, ErrClosed, nil)
		return ErrClosed
	}
	s.conns.Add(1)
	s.mu.Unlock()
	defer s.conns.Done()

	ss, err := s.admit(ctx, conn, 0)
	var first []byte
	if errors.Is(err, ErrBusy) {
		// The client in the way may be gone without the server having
		// noticed yet (a reconnect after a crash): decide on the new
		// client's first frame, not on its arrival, and give the old
		// session a moment to notice.
		f, ferr := s.firstFrame(conn)
		if ferr != nil {
			// Gone before saying anything: nothing to answer.
			conn.Close()
			s.notify(SessionEvent{Kind: SessionRefused, Err: err})
			return err
		}
		if ss, err = s.admit(ctx, conn, busyGrace); err == nil {
			ss.first = *f
		} else {
			first = *f
		}
	}
	if err != nil {
		s.refuse(conn, err, first)
		return err
	}
	cause := ss.run(ctx)
	s.release(ss)
	return cause
}

// busyGrace is how long a client arriving while another is connected
// waits for that one to end before it is refused.
const busyGrace = 250 * time.Millisecond

// admit makes a session for conn the current one. While another session
// runs, it waits up to grace for it to end.
func (s *Server) admit(ctx context.Context, conn connector.FrameConn, grace time.Duration) (*session, error) {
	deadline := time.Now().Add(grace)
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		prev := s.cur
		if prev == nil {
			ss := newSession(s, conn)
			s.cur = ss
			s.mu.Unlock()
			return ss, nil
		}
		s.mu.Unlock()
		if !prev.ended() {
			if err := waitEnd(ctx, prev, time.Until(deadline)); err != nil {
				return nil, err
			}
		}
		// The previous client is gone; its devices are being stopped.
		select {
		case <-prev.released:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// waitEnd waits up to d for a running session to end; after that the
// session is in the way.
func waitEnd(ctx context.Context, ss *session, d time.Duration) error {
	busy := fmt.Errorf("%w (%s)", ErrBusy, ss.describe())
	if d <= 0 {
		return busy
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ss.done:
		return nil
	case <-t.C:
		return busy
	case <-ctx.Done():
		return ctx.Err()
	}
}

// firstFrame reads a client's first frame, waiting at most the handshake
// timeout.
func (s *Server) firstFrame(conn connector.FrameConn) (*[]byte, error) {
	type result struct {
		f   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		f, err := conn.ReadFrame()
		got <- result{f, err}
	}()
	timer := time.NewTimer(s.opt.handshake)
	defer timer.Stop()
	select {
	case r := <-got:
		if r.err != nil {
			return nil, fmt.Errorf("read the first frame: %w", r.err)
		}
		return &r.f, nil
	case <-timer.C:
		conn.Close()
		<-got
		return nil, ErrHandshakeTimeout
	case <-s.ctx.Done():
		conn.Close()
		<-got
		return nil, ErrClosed
	}
}

// release stops every device once a session is over, then admits others.
func (s *Server) release(ss *session) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.stopTimeout)
	defer cancel()
	if err := s.dm.StopScanning(ctx); err != nil {
		s.log.Warn("stop scanning after session", "err", err)
	}
	if err := s.dm.StopAll(ctx); err != nil {
		s.log.Error("stopping devices after session", "err", err)
	}
	s.mu.Lock()
	if s.cur == ss {
		s.cur = nil
	}
	s.mu.Unlock()
	close(ss.released)
	client, version := ss.identity()
	s.log.Info("session ended", "client", client, "cause", ss.cause)
	s.notify(SessionEvent{Kind: SessionEnded, Client: client, Version: version, Err: ss.cause})
}

func (s *Server) notify(e SessionEvent) {
	if s.opt.observe != nil {
		s.opt.observe(e)
	}
	s.watch.Notify(e)
}

// WatchSessions calls f with every SessionEvent, as WithSessionObserver
// does, until the returned stop is called, so that something started after
// the server (a control panel) can follow its clients. f runs on the
// session's goroutines and must not block.
func (s *Server) WatchSessions(f func(SessionEvent)) (stop func()) { return s.watch.Add(f) }

// refuse answers a client that cannot be served with an ERROR_INIT Error
// carrying the Id of its first frame, so that it learns why, and closes
// conn. first is nil when that frame was not read yet.
func (s *Server) refuse(conn connector.FrameConn, why error, first []byte) {
	defer conn.Close()
	s.notify(SessionEvent{Kind: SessionRefused, Err: why})
	if first == nil {
		if errors.Is(why, context.Canceled) || errors.Is(why, context.DeadlineExceeded) {
			return
		}
		f, err := s.firstFrame(conn)
		if err != nil {
			return
		}
		first = *f
	}
	var id uint32
	if envs, err := protocol.SplitFrame(first); err == nil && envs[0].HasID {
		id = envs[0].ID
	}
	out, err := protocol.Encode(protocol.NewError(id, protocol.ErrorInit, "%v", why))
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opt.writeTimeout)
	defer cancel()
	_ = conn.WriteFrame(ctx, out)
}

// Done is closed when Close is called, so that what serves the server
// (core/server/listen) stops accepting clients.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// Close ends the current session, stopping every device, waits for every
// ServeConn and the server's goroutines, and refuses clients from then on.
// It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.pumpDone
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.conns.Wait()
	<-s.pumpDone
	return nil
}
