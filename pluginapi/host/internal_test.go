package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors keep their meaning across the boundary: what a transport returns
// is what the host's caller can branch on.
func TestErrorsCrossTheBoundary(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		fallback codes.Code
		code     codes.Code
		is       error // nil: a RemoteError of no known kind
		text     string
	}{
		{"absent", fmt.Errorf("dial tcp 127.0.0.1:9: %w", connector.ErrServerAbsent), codes.Unknown, codes.Unavailable, connector.ErrServerAbsent, "dial tcp 127.0.0.1:9: no server"},
		{"refused", fmt.Errorf("ws: 403: %w", connector.ErrRefused), codes.Unknown, codes.PermissionDenied, connector.ErrRefused, "ws: 403: connection refused by server"},
		{"options", fmt.Errorf("%w: option x", pluginapi.ErrInvalidOptions), codes.Unknown, codes.InvalidArgument, pluginapi.ErrInvalidOptions, "invalid options: option x"},
		{"too large", connector.ErrFrameTooLarge, codes.Aborted, codes.ResourceExhausted, connector.ErrFrameTooLarge, "frame too large"},
		{"peer closed", connector.Disconnected(connector.ErrPeerClosed), codes.Aborted, codes.Aborted, connector.ErrPeerClosed, "closed by peer"},
		{"network", connector.Disconnected(errors.New("read: connection reset")), codes.Aborted, codes.Aborted, nil, "read: connection reset"},
		{"other open failure", errors.New("tls: bad certificate"), codes.Unknown, codes.Unknown, nil, "tls: bad certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := wire.ToStatus(tc.err, tc.fallback)
			if got := status.Code(st); got != tc.code {
				t.Errorf("code %v, want %v", got, tc.code)
			}
			re, ok := fromStatus("p", st)
			if !ok {
				t.Fatalf("fromStatus(%v) found no detail", st)
			}
			if re.Error() != "plugin p: "+tc.text {
				t.Errorf("text %q, want %q", re.Error(), "plugin p: "+tc.text)
			}
			if tc.is != nil && !errors.Is(re, tc.is) {
				t.Errorf("%v does not wrap %v", re, tc.is)
			}
			if tc.is == nil && re.Unwrap() != nil {
				t.Errorf("%v wraps %v", re, re.Unwrap())
			}
		})
	}
	for _, err := range []error{context.Canceled, context.DeadlineExceeded} {
		if _, ok := fromStatus("p", wire.ToStatus(err, codes.Unknown)); ok {
			t.Errorf("%v crossed as a transport error", err)
		}
	}
	if _, ok := fromStatus("p", status.Error(codes.Unavailable, "transport is closing")); ok {
		t.Error("a status without detail was taken for the transport's")
	}
	if _, ok := fromStatus("p", io.EOF); ok {
		t.Error("a plain error was taken for the transport's")
	}
}
