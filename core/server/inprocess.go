package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/bphost/bphost/core/connector"
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

// TryRecv returns a frame from the server already waiting, without
// blocking; false when none is (Recv then blocks or says why). The embedded
// plugin sends every such frame to the host in one message.
func (c *InProcess) TryRecv() ([]byte, bool) {
	end, err := c.current()
	if err != nil {
		return nil, false
	}
	return end.TryRecv()
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
