// Package connector defines how a Buttplug client reaches its server: a
// Connector opens one session and moves whole frames (serialized JSON arrays)
// both ways. Connectors know nothing of messages.
//
// It also provides an in-memory [Pipe] for tests and in-process servers.
package connector

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/bphost/bphost/core/protocol"
)

// Connector carries frames between a client and one server session.
//
// Connect opens the session; after Close a Connector may be connected again.
// Send and Recv may be called from different goroutines at once; Send is safe
// for concurrent use. Once the session ends, Send and Recv return an error that
// wraps [ErrDisconnected] and the cause.
type Connector interface {
	// Connect opens the session. When nothing answers at the other end the
	// error wraps ErrServerAbsent.
	Connect(ctx context.Context) error
	// Send transmits one whole frame. The connector does not keep frame after
	// Send returns.
	Send(ctx context.Context, frame []byte) error
	// Recv returns the next frame from the server. The caller owns it.
	Recv(ctx context.Context) ([]byte, error)
	// Close ends the session. It is idempotent.
	Close() error
}

// FrameConn is an open connection that moves whole frames: what a stream
// connector dials and what the server serves a session on.
type FrameConn interface {
	// ReadFrame blocks for the next frame. It returns io.EOF, or an error
	// wrapping ErrPeerClosed, when the peer ended the session cleanly; an
	// error wrapping ErrFrameTooLarge reports a frame that was dropped, and
	// the next ReadFrame reads the one after it.
	ReadFrame() ([]byte, error)
	// WriteFrame writes one frame, bounded by ctx where the transport
	// allows it. It is never called concurrently with itself, but may run
	// while ReadFrame runs in another goroutine.
	WriteFrame(ctx context.Context, frame []byte) error
	// Close closes the connection and unblocks ReadFrame.
	Close() error
}

// Sentinel errors of connectors.
var (
	// ErrDisconnected is wrapped by every error that reports the end of a
	// session; the *DisconnectError around it carries the cause.
	ErrDisconnected = errors.New("disconnected")
	// ErrServerAbsent means nothing answered at the server's address.
	ErrServerAbsent = errors.New("no server")
	// ErrRefused means the server answered but refused the session.
	ErrRefused = errors.New("connection refused by server")
	// ErrNotConnected is returned by Send and Recv before Connect.
	ErrNotConnected = errors.New("not connected")
	// ErrAlreadyConnected is returned by Connect on an open connector.
	ErrAlreadyConnected = errors.New("already connected")
	// ErrClosed is the cause of a disconnect that this side asked for.
	ErrClosed = errors.New("closed locally")
	// ErrPeerClosed is the cause of a disconnect the other side asked for.
	ErrPeerClosed = errors.New("closed by peer")
	// ErrFrameTooLarge means a frame is longer than MaxFrame. Every
	// connector refuses to send such a frame, and every transport the
	// server listens on drops one it reads and answers it with ERROR_MSG.
	// It is protocol.ErrFrameTooLarge, the decoder's, under the name
	// transports use: one sentinel.
	ErrFrameTooLarge = protocol.ErrFrameTooLarge
)

// MaxFrame is the largest frame, in bytes, that any transport carries: the
// connectors, the in-process pipe, the server's listeners and the plugin
// stream all use it. It is protocol.MaxFrameSize, the one limit, which the
// decoder holds frames to as well.
const MaxFrame = protocol.MaxFrameSize

// CheckFrameSize returns an error wrapping ErrFrameTooLarge when frame is
// longer than MaxFrame.
func CheckFrameSize(frame []byte) error {
	if len(frame) > MaxFrame {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(frame), MaxFrame)
	}
	return nil
}

// ReadFrame reads one whole message of a message-framed transport
// (websocket) from r, keeping at most MaxFrame bytes: the rest of a longer
// message is read and dropped, so the transport stays in step, and the
// error wraps ErrFrameTooLarge.
func ReadFrame(r io.Reader) ([]byte, error) {
	frame, err := io.ReadAll(io.LimitReader(r, MaxFrame+1))
	if err != nil {
		return nil, err
	}
	if len(frame) > MaxFrame {
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, int64(len(frame))+n, MaxFrame)
	}
	return frame, nil
}

// DisconnectError reports the end of a session and why. errors.Is(err,
// ErrDisconnected) holds for it, and errors.Is/As also reach the cause.
type DisconnectError struct {
	Cause error
}

// Disconnected returns a *DisconnectError for cause (ErrPeerClosed when nil).
func Disconnected(cause error) error {
	if cause == nil {
		cause = ErrPeerClosed
	}
	var de *DisconnectError
	if errors.As(cause, &de) {
		return de
	}
	return &DisconnectError{Cause: cause}
}

// Error names the cause, so a log line says why the session ended.
func (e *DisconnectError) Error() string {
	return fmt.Sprintf("disconnected: %v", e.Cause)
}

// Unwrap returns the cause.
func (e *DisconnectError) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, ErrDisconnected) true.
func (e *DisconnectError) Is(target error) bool { return target == ErrDisconnected }

// Ready returns a frame already waiting in frames without blocking, false
// when there is none: the TryRecv of connectors whose reader fills frames,
// which lets a relay send every waiting frame at once.
func Ready(frames <-chan []byte) ([]byte, bool) {
	select {
	case f := <-frames:
		return f, true
	default:
		return nil, false
	}
}

// Receive is Recv for connectors whose reader goroutine delivers frames on
// a channel and closes done when the session ends, having set *cause first.
// Frames delivered before the end are returned before the disconnect.
func Receive(ctx context.Context, frames <-chan []byte, done <-chan struct{}, cause *error) ([]byte, error) {
	select {
	case f := <-frames:
		return f, nil
	case <-done:
		select {
		case f := <-frames:
			return f, nil
		default:
			return nil, Disconnected(*cause)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
