package connector_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/connector"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDisconnectedWrapsCause(t *testing.T) {
	tests := []struct {
		name      string
		cause     error
		wantCause error
	}{
		{"nil means peer closed", nil, connector.ErrPeerClosed},
		{"local close", connector.ErrClosed, connector.ErrClosed},
		{"transport error", io.ErrUnexpectedEOF, io.ErrUnexpectedEOF},
		{"wrapped cause", fmt.Errorf("read tcp: %w", io.EOF), io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := connector.Disconnected(tt.cause)
			if !errors.Is(err, connector.ErrDisconnected) {
				t.Errorf("errors.Is(%v, ErrDisconnected) = false", err)
			}
			if !errors.Is(err, tt.wantCause) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantCause)
			}
			var de *connector.DisconnectError
			if !errors.As(err, &de) {
				t.Fatalf("errors.As(%v, *DisconnectError) = false", err)
			}
			if de.Cause == nil {
				t.Error("Cause is nil")
			}
		})
	}
}

func TestDisconnectedDoesNotNest(t *testing.T) {
	inner := connector.Disconnected(io.EOF)
	outer := connector.Disconnected(fmt.Errorf("session: %w", inner))
	if outer != inner {
		t.Errorf("Disconnected(wrapped DisconnectError) = %v, want the inner error itself", outer)
	}
	if got, want := outer.Error(), "disconnected: EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDisconnectErrorIsOnlyDisconnected(t *testing.T) {
	err := connector.Disconnected(connector.ErrPeerClosed)
	for _, other := range []error{connector.ErrServerAbsent, connector.ErrRefused, connector.ErrNotConnected, connector.ErrClosed} {
		if errors.Is(err, other) {
			t.Errorf("errors.Is(%v, %v) = true", err, other)
		}
	}
}

// Receive hands out the frames delivered before the end, then the
// disconnect with its cause; a done context ends a wait.
func TestReceive(t *testing.T) {
	frames := make(chan []byte, 2)
	done := make(chan struct{})
	var cause error
	frames <- []byte("[1]")
	frames <- []byte("[2]")
	boom := errors.New("boom")
	cause = boom
	close(done)
	ctx := context.Background()
	for _, want := range []string{"[1]", "[2]"} {
		f, err := connector.Receive(ctx, frames, done, &cause)
		if err != nil || string(f) != want {
			t.Fatalf("got %q, %v; want %s", f, err, want)
		}
	}
	if _, err := connector.Receive(ctx, frames, done, &cause); !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, boom) {
		t.Fatalf("after the frames: %v, want a disconnect caused by boom", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := connector.Receive(cctx, make(chan []byte), make(chan struct{}), &cause); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}
