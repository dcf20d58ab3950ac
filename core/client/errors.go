package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// Sentinel errors callers branch on with errors.Is. Errors the server sends
// are returned as [*protocol.Error] (reach them with errors.As), so their
// Buttplug error code is kept.
var (
	// ErrServerAbsent means nothing answered at the server's address.
	ErrServerAbsent = connector.ErrServerAbsent
	// ErrDisconnected is wrapped by every error caused by the end of the
	// session; the *connector.DisconnectError in the chain carries the cause.
	ErrDisconnected = connector.ErrDisconnected
	// ErrNotConnected means the client has no session.
	ErrNotConnected = errors.New("client: not connected")
	// ErrAlreadyConnected means Connect was called on a connected client or
	// while another Connect runs.
	ErrAlreadyConnected = errors.New("client: already connected")
	// ErrHandshake means no spec version could be agreed with the server.
	ErrHandshake = errors.New("client: handshake failed")
	// ErrTimeout means the server did not answer a request in time. Errors
	// wrapping it also match context.DeadlineExceeded.
	ErrTimeout = errors.New("no reply from server in time")
	// ErrUnsupported means the device (or the negotiated spec version) has no
	// such feature or command.
	ErrUnsupported = errors.New("not supported")
	// ErrOutOfRange means a value lies outside what the feature accepts. It
	// is protocol's sentinel, which protocol.Steps wraps.
	ErrOutOfRange = protocol.ErrOutOfRange
	// ErrDeviceGone means the device was removed or its session ended.
	ErrDeviceGone = errors.New("device is no longer connected")
	// ErrUnexpectedReply means the server answered with a message that does
	// not fit the request, or sent a reply nobody asked for.
	ErrUnexpectedReply = errors.New("unexpected reply")
	// ErrMalformed means the server sent a frame or message that could not
	// be decoded; the *protocol.DecodeError is in the chain.
	ErrMalformed = errors.New("malformed message from server")
	// ErrPingFailed is the cause of a disconnect after an unanswered or
	// refused Ping.
	ErrPingFailed = errors.New("ping failed")
	// ErrPingTimeout is the cause of a disconnect after the server reported
	// that the client missed its ping deadline (ERROR_PING).
	ErrPingTimeout = errors.New("server reported a ping timeout")
)

// timeoutError is the context cause of the client's own deadlines.
type timeoutError struct {
	what string
	d    time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s: %v after %v", e.what, ErrTimeout, e.d)
}

// Is makes the error match both ErrTimeout and context.DeadlineExceeded.
func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// disconnected returns the error requests fail with once a session ended
// with cause.
func disconnected(cause error) error {
	return connector.Disconnected(cause)
}
