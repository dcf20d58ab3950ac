// Package stream turns any frame-oriented network connection (a websocket, a
// TCP or Unix socket with line framing, a named pipe) into a
// connector.Connector: it dials on Connect, reads frames in one goroutine it
// owns, and reports the end of the session with its cause.
package stream

import (
	"context"
	"errors"
	"sync"

	"github.com/bphost/bphost/core/connector"
)

// DialFunc opens a frame connection. When nothing listens at the address its error
// should wrap connector.ErrServerAbsent.
type DialFunc func(ctx context.Context) (connector.FrameConn, error)

// Connector is a connector.Connector over a DialFunc. It may be connected
// again after Close.
type Connector struct {
	dial DialFunc

	mu   sync.Mutex
	sess *session
}

// session is one open connection and its reader.
type session struct {
	conn    connector.FrameConn
	frames  chan []byte
	done    chan struct{} // closed when the session ends
	readerX chan struct{} // closed when the reader goroutine has exited
	cause   error         // set before done is closed
	once    sync.Once
	writeMu sync.Mutex
}

// New returns a Connector that dials with dial.
func New(dial DialFunc) *Connector { return &Connector{dial: dial} }

// Connect dials and starts reading.
func (c *Connector) Connect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		select {
		case <-c.sess.done:
		default:
			return connector.ErrAlreadyConnected
		}
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	s := &session{conn: conn, frames: make(chan []byte, 16), done: make(chan struct{}), readerX: make(chan struct{})}
	c.sess = s
	go s.read()
	return nil
}

func (s *session) end(cause error) {
	s.once.Do(func() {
		s.cause = cause
		close(s.done)
		s.conn.Close()
	})
}

func (s *session) read() {
	defer close(s.readerX)
	for {
		f, err := s.conn.ReadFrame()
		if err != nil {
			s.end(readCause(err))
			return
		}
		select {
		case s.frames <- f:
		case <-s.done:
			return
		}
	}
}

// readCause turns a read error into the cause a caller sees.
func readCause(err error) error {
	if errors.Is(err, connector.ErrPeerClosed) {
		return err
	}
	if isEOF(err) {
		return connector.ErrPeerClosed
	}
	return err
}

func (c *Connector) current() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil, connector.ErrNotConnected
	}
	return c.sess, nil
}

// Send writes one frame.
func (c *Connector) Send(ctx context.Context, frame []byte) error {
	s, err := c.current()
	if err != nil {
		return err
	}
	// Refused here, as on every connector, rather than cut off by the
	// server; the session goes on.
	if err := connector.CheckFrameSize(frame); err != nil {
		return err
	}
	select {
	case <-s.done:
		return connector.Disconnected(s.cause)
	default:
	}
	s.writeMu.Lock()
	err = s.conn.WriteFrame(ctx, frame)
	s.writeMu.Unlock()
	if err != nil {
		select {
		case <-s.done: // the session ended under the write: report why
			return connector.Disconnected(s.cause)
		default:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.end(err)
		return connector.Disconnected(err)
	}
	return nil
}

// Recv returns the next frame. Frames read before the session ended are
// delivered first.
func (c *Connector) Recv(ctx context.Context) ([]byte, error) {
	s, err := c.current()
	if err != nil {
		return nil, err
	}
	return connector.Receive(ctx, s.frames, s.done, &s.cause)
}

// TryRecv returns a frame already received, without blocking; false when
// none is waiting or there is no session (Recv then says why).
func (c *Connector) TryRecv() ([]byte, bool) {
	s, err := c.current()
	if err != nil {
		return nil, false
	}
	return connector.Ready(s.frames)
}

// Close ends the session and waits for the reader goroutine to exit.
func (c *Connector) Close() error {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	s.end(connector.ErrClosed)
	<-s.readerX
	return nil
}
