// Package wire is what the plugin side (pluginapi) and the host side
// (pluginapi/host) of the connector contract share and neither exports: the
// go-plugin binding, the gRPC sizing, the error kinds that cross the
// boundary, and the hook through which the host serves a Transport in
// process.
package wire

import (
	"context"
	"errors"
	"regexp"

	"github.com/bphost/bphost/core/connector"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// PluginKey names the one plugin every connector plugin process dispenses.
const PluginKey = "connector"

// EnvWatchStdin, set by the host, tells the plugin that its stdin is a pipe
// the host holds open: EOF there means the host is gone and the plugin exits.
const EnvWatchStdin = "BPHOST_PLUGIN_WATCH_STDIN"

// ErrInvalidOptions is pluginapi.ErrInvalidOptions. It is declared here
// because the error-kind table below, which both sides use, needs it.
var ErrInvalidOptions = errors.New("invalid options")

// NameRE is what a transport's name must match: it becomes part of an
// executable's name.
var NameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// FrameLimit is the frame limit of a transport that declared declared
// bytes: 0 means connector.MaxFrame.
func FrameLimit(declared int) int {
	if declared == 0 {
		return connector.MaxFrame
	}
	return declared
}

// Plugin binds the contract to go-plugin on both sides.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is what the plugin side serves; nil on the host side.
	Impl pb.ConnectorServiceServer
}

// GRPCServer registers the contract's service.
func (g *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterConnectorServiceServer(s, g.Impl)
	return nil
}

// GRPCClient returns the contract's client.
func (g *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewConnectorServiceClient(c), nil
}

// PluginSets is what each side offers for each contract version it speaks;
// srv is nil on the host side.
func PluginSets(version int, srv pb.ConnectorServiceServer) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{version: {PluginKey: &Plugin{Impl: srv}}}
}

// grpcMsgMax leaves room for the message around a frame of MaxFrame bytes.
const grpcMsgMax = connector.MaxFrame + 1024

// windowSize is the gRPC stream and connection flow-control window: the
// default 64 KiB stalls a session streaming frames at full rate.
const windowSize = 1 << 20

// GRPCServerOptions size the plugin's gRPC server for frames up to MaxFrame.
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(grpcMsgMax),
		grpc.MaxSendMsgSize(grpcMsgMax),
		grpc.InitialWindowSize(windowSize),
		grpc.InitialConnWindowSize(windowSize),
	}
}

// GRPCDialOptions size the host's gRPC connection for frames up to MaxFrame.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(grpcMsgMax), grpc.MaxCallSendMsgSize(grpcMsgMax)),
		grpc.WithInitialWindowSize(windowSize),
		grpc.WithInitialConnWindowSize(windowSize),
	}
}

// Server is the plugin side of the contract serving one Transport.
type Server interface {
	pb.ConnectorServiceServer
	// Stop closes every session and waits for their goroutines; no session
	// opens after it.
	Stop()
}

// InProcess prepares a pluginapi.Transport (t) to be served in process:
// it describes t once, validates the description, and returns the
// transport's name and a constructor of servers, one per start. pluginapi
// sets it when it is initialised; the host, which imports pluginapi, calls
// it, so that pluginapi need not export its server.
var InProcess func(t any) (name string, serve func(log hclog.Logger) Server, err error)

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

// KnownKind reports whether err is of a kind the contract names, rather
// than a transport failure of no known kind.
func KnownKind(err error) bool {
	for _, k := range errorKinds {
		if errors.Is(err, k.sentinel) {
			return true
		}
	}
	return false
}

// ToStatus turns a transport's error into the gRPC status the host maps
// back. fallback is the code of errors of no known kind.
func ToStatus(err error, fallback codes.Code) error {
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

// FromStatus reads the transport's error back out of a gRPC error from a
// plugin: its text and the sentinel of its kind (nil for none). ok is false
// when the status carries no ErrorDetail: the failure is not the
// transport's but the plugin's or the connection's.
func FromStatus(err error) (msg string, sentinel error, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return "", nil, false
	}
	for _, d := range st.Details() {
		detail, isDetail := d.(*pb.ErrorDetail)
		if !isDetail {
			continue
		}
		for _, k := range errorKinds {
			if k.kind == detail.GetKind() {
				sentinel = k.sentinel
			}
		}
		return detail.GetMessage(), sentinel, true
	}
	return "", nil, false
}

// Batches of frames (see the contract): at most MaxBatch frames of
// BatchBytes in all, so that a batch fits one gRPC message (grpcMsgMax,
// which leaves room for the per-frame overhead of MaxBatch frames).
const (
	MaxBatch   = 64
	BatchBytes = connector.MaxFrame
)

// Batch gathers the frames to send in one message: first, then those next
// has ready (next returns false when none is), within MaxBatch and
// BatchBytes. A frame taken from next that did not fit is returned as rest
// (held true), to lead the following batch. The batch reuses buf.
func Batch(buf [][]byte, first []byte, next func() ([]byte, bool)) (batch [][]byte, rest []byte, held bool) {
	batch = append(buf[:0], first)
	size := len(first)
	for len(batch) < MaxBatch {
		f, ok := next()
		if !ok {
			break
		}
		if size+len(f) > BatchBytes {
			return batch, f, true
		}
		batch = append(batch, f)
		size += len(f)
	}
	return batch, nil, false
}
