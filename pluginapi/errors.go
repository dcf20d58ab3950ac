package pluginapi

import (
	"context"
	"errors"

	"github.com/bphost/bphost/core/connector"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errorKinds maps the errors that cross the plugin boundary to their kind
// in the contract and the gRPC code that carries them. Order matters: the
// first match wins.
var errorKinds = []struct {
	sentinel error
	kind     pb.ErrorKind
	code     codes.Code
}{
	{ErrInvalidOptions, pb.ErrorKind_ERROR_KIND_INVALID_OPTIONS, codes.InvalidArgument},
	{connector.ErrServerAbsent, pb.ErrorKind_ERROR_KIND_SERVER_ABSENT, codes.Unavailable},
	{connector.ErrRefused, pb.ErrorKind_ERROR_KIND_REFUSED, codes.PermissionDenied},
	{connector.ErrFrameTooLarge, pb.ErrorKind_ERROR_KIND_FRAME_TOO_LARGE, codes.ResourceExhausted},
	{connector.ErrPeerClosed, pb.ErrorKind_ERROR_KIND_PEER_CLOSED, codes.Aborted},
}

// kindOf classifies an error of a transport.
func kindOf(err error) pb.ErrorKind {
	for _, k := range errorKinds {
		if errors.Is(err, k.sentinel) {
			return k.kind
		}
	}
	return pb.ErrorKind_ERROR_KIND_TRANSPORT
}

// toStatus turns a transport's error into the gRPC status the host maps
// back. fallback is the code of errors of no known kind.
func toStatus(err error, fallback codes.Code) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	kind, code := pb.ErrorKind_ERROR_KIND_TRANSPORT, fallback
	for _, k := range errorKinds {
		if errors.Is(err, k.sentinel) {
			kind, code = k.kind, k.code
			break
		}
	}
	// A disconnect's text is "disconnected: <cause>"; the host adds its own.
	msg := err.Error()
	var de *connector.DisconnectError
	if errors.As(err, &de) && de.Cause != nil {
		msg = de.Cause.Error()
	}
	st, derr := status.New(code, msg).WithDetails(&pb.ErrorDetail{Kind: kind, Message: msg})
	if derr != nil { // cannot happen with a registered message type
		return status.Error(code, msg)
	}
	return st.Err()
}

// RemoteError is an error a plugin reported on purpose. errors.Is matches
// the error of its kind: connector.ErrServerAbsent, connector.ErrRefused,
// connector.ErrPeerClosed, connector.ErrFrameTooLarge or ErrInvalidOptions;
// other transport failures match none.
type RemoteError struct {
	// Plugin is the name of the plugin that reported it.
	Plugin string
	// Message is the plugin's text.
	Message string

	sentinel error
}

// Error says which plugin reported what.
func (e *RemoteError) Error() string { return "plugin " + e.Plugin + ": " + e.Message }

// Unwrap returns the sentinel of the error's kind, or nil.
func (e *RemoteError) Unwrap() error { return e.sentinel }

// fromStatus maps a gRPC error from a plugin back to a RemoteError. ok is
// false when the status carries no ErrorDetail: the failure is not the
// transport's but the plugin's or the connection's.
func fromStatus(plugin string, err error) (remote *RemoteError, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return nil, false
	}
	for _, d := range st.Details() {
		detail, isDetail := d.(*pb.ErrorDetail)
		if !isDetail {
			continue
		}
		re := &RemoteError{Plugin: plugin, Message: detail.GetMessage()}
		for _, k := range errorKinds {
			if k.kind == detail.GetKind() {
				re.sentinel = k.sentinel
			}
		}
		return re, true
	}
	return nil, false
}
