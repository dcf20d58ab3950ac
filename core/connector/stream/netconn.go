package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/framing"
)

// NetConn frames a net.Conn with core/framing (one JSON frame per line).
type NetConn struct {
	conn net.Conn
	r    *framing.Reader
	w    *framing.Writer
}

// NewNetConn wraps conn.
func NewNetConn(conn net.Conn) *NetConn {
	return &NetConn{conn: conn, r: framing.NewReader(conn, connector.MaxFrame), w: framing.NewWriter(conn)}
}

// ReadFrame reads the next line-delimited frame. A line longer than
// connector.MaxFrame is skipped and reported with an error wrapping
// connector.ErrFrameTooLarge; the next ReadFrame reads the line after it.
func (n *NetConn) ReadFrame() ([]byte, error) { return n.r.ReadFrame() }

// WriteFrame writes one frame, bounded by ctx's deadline.
func (n *NetConn) WriteFrame(ctx context.Context, frame []byte) error {
	if dl, ok := ctx.Deadline(); ok {
		n.conn.SetWriteDeadline(dl)
	} else {
		n.conn.SetWriteDeadline(time.Time{})
	}
	return n.w.WriteFrame(frame)
}

// Close closes the connection.
func (n *NetConn) Close() error { return n.conn.Close() }

// DialNet returns a DialFunc for a line-framed stream socket ("tcp", "unix").
// describe names the server in errors, e.g. "tcp://127.0.0.1:12345".
func DialNet(network, address, describe string) DialFunc {
	return func(ctx context.Context) (connector.FrameConn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, DialError(describe, err)
		}
		return NewNetConn(connector.CoarseWriteDeadline(conn)), nil
	}
}

// DialError wraps a dial failure; when nothing listens at the address it
// wraps connector.ErrServerAbsent and says what to check.
func DialError(describe string, err error) error {
	if IsAbsent(err) {
		return fmt.Errorf("%w at %s — is Intiface or `bphost serve` running? (%v)", connector.ErrServerAbsent, describe, err)
	}
	return fmt.Errorf("connect to %s: %w", describe, err)
}

// IsAbsent reports whether a dial error means nothing listens there.
func IsAbsent(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, syscall.ECONNRESET) || isWindowsAbsent(err)
}
