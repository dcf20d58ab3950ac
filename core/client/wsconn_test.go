package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/connector"
)

// wsConnector is the smallest websocket connector that satisfies
// connector.Connector, for the interop test only: one Buttplug frame per
// text message, one reader, writes serialised. It can be connected again
// after Close or after the server closed.
type wsConnector struct {
	url string

	mu     sync.Mutex
	conn   *websocket.Conn
	alive  bool
	closed bool // closed by us

	writeMu sync.Mutex
}

var _ connector.Connector = (*wsConnector)(nil)

func (w *wsConnector) Connect(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.alive {
		return connector.ErrAlreadyConnected
	}
	if w.conn != nil {
		_ = w.conn.Close()
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, w.url, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("%w: %s answered HTTP %s", connector.ErrRefused, w.url, resp.Status)
		}
		var op *net.OpError
		if errors.As(err, &op) {
			return fmt.Errorf("%w: %s: %w", connector.ErrServerAbsent, w.url, err)
		}
		return fmt.Errorf("dial %s: %w", w.url, err)
	}
	w.conn, w.alive, w.closed = conn, true, false
	return nil
}

func (w *wsConnector) current() (*websocket.Conn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil, connector.ErrNotConnected
	}
	return w.conn, nil
}

// ended marks the session over and returns the disconnect error for err.
func (w *wsConnector) ended(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.alive = false
	if w.closed {
		return connector.Disconnected(connector.ErrClosed)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return connector.Disconnected(fmt.Errorf("%w: websocket close %d %s", connector.ErrPeerClosed, ce.Code, ce.Text))
	}
	return connector.Disconnected(err)
}

func (w *wsConnector) Send(ctx context.Context, frame []byte) error {
	conn, err := w.current()
	if err != nil {
		return err
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	dl, _ := ctx.Deadline()
	_ = conn.SetWriteDeadline(dl)
	if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return w.ended(err)
	}
	return nil
}

// Recv ignores ctx: Close unblocks it, which is how the client stops it.
func (w *wsConnector) Recv(ctx context.Context) ([]byte, error) {
	conn, err := w.current()
	if err != nil {
		return nil, err
	}
	_, data, err := conn.ReadMessage()
	if err != nil {
		return nil, w.ended(err)
	}
	return data, nil
}

func (w *wsConnector) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil || w.closed {
		return nil
	}
	w.closed, w.alive = true, false
	// gorilla allows WriteControl and Close next to a running write.
	_ = w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return w.conn.Close()
}
