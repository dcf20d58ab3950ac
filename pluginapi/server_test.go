package pluginapi_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/plugintest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rawClient serves an echo transport with a small frame limit in process
// and returns a bare gRPC client of the contract, to send what a correct
// host never sends.
func rawClient(t *testing.T) pb.ConnectorServiceClient {
	t.Helper()
	return pluginapi.RawClient(t, smallEcho{})
}

// smallEcho is an echo transport that takes frames up to 64 bytes.
type smallEcho struct{}

func (smallEcho) Describe() pluginapi.Description {
	return pluginapi.Description{Name: "raw", Version: "1", MaxFrame: 64}
}

func (smallEcho) Open(context.Context, pluginapi.Options) (pluginapi.Session, error) {
	return plugintest.NewEchoSession(), nil
}

func openRaw(t *testing.T, ctx context.Context, c pb.ConnectorServiceClient) uint64 {
	t.Helper()
	r, err := c.Open(ctx, &pb.OpenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetSessionId()
}

func attach(t *testing.T, ctx context.Context, c pb.ConnectorServiceClient, id uint64) pb.ConnectorService_FramesClient {
	t.Helper()
	st, err := c.Frames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.FramesRequest{SessionId: id}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFramesProtocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := rawClient(t)

	t.Run("unknown session", func(t *testing.T) {
		_, err := attach(t, ctx, c, 999).Recv()
		if status.Code(err) != codes.NotFound {
			t.Errorf("Recv = %v, want NotFound", err)
		}
	})
	t.Run("second stream", func(t *testing.T) {
		id := openRaw(t, ctx, c)
		first := attach(t, ctx, c, id)
		first.Send(&pb.FramesRequest{Frame: []byte("[1]")}) // the echo proves it is attached
		if m, err := first.Recv(); err != nil || string(m.GetFrame()) != "[1]" {
			t.Fatalf("first stream: %v, %v", m, err)
		}
		_, err := attach(t, ctx, c, id).Recv()
		if status.Code(err) != codes.FailedPrecondition {
			t.Errorf("second stream: %v, want FailedPrecondition", err)
		}
		first.CloseSend()
		if _, err := first.Recv(); !errors.Is(err, io.EOF) {
			t.Errorf("first stream after half-close: %v, want a clean end", err)
		}
	})
	t.Run("frame over the limit", func(t *testing.T) {
		st := attach(t, ctx, c, openRaw(t, ctx, c))
		st.Send(&pb.FramesRequest{Frame: make([]byte, 65)})
		_, err := st.Recv()
		if _, sentinel, ok := pluginapi.FromStatus(err); !ok || status.Code(err) != codes.ResourceExhausted || sentinel != connector.ErrFrameTooLarge {
			t.Errorf("oversized frame: %v, want ResourceExhausted with kind FRAME_TOO_LARGE", err)
		}
	})
	t.Run("close without stream", func(t *testing.T) {
		id := openRaw(t, ctx, c)
		for range 2 {
			if _, err := c.Close(ctx, &pb.CloseRequest{SessionId: id}); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		if _, err := attach(t, ctx, c, id).Recv(); status.Code(err) != codes.NotFound {
			t.Errorf("attach after Close: %v, want NotFound", err)
		}
	})
	t.Run("never attached", func(t *testing.T) {
		defer pluginapi.SetAttachTimeout(50 * time.Millisecond)()
		id := openRaw(t, ctx, c)
		// Far past the timeout: on a loaded machine the timer may fire late,
		// and attaching before it does would keep the session.
		time.Sleep(time.Second)
		if _, err := attach(t, ctx, c, id).Recv(); status.Code(err) != codes.NotFound {
			t.Errorf("attach after the timeout: %v, want NotFound", err)
		}
	})
}

// closingEcho is an echo transport that keeps something between sessions
// and says when Close is called, and whether a session was open then.
type closingEcho struct {
	smallEcho
	mu     sync.Mutex
	open   int
	closes []int // sessions open at each Close
}

func (c *closingEcho) Open(context.Context, pluginapi.Options) (pluginapi.Session, error) {
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
	return &countedSession{Session: plugintest.NewEchoSession(), owner: c}, nil
}

func (c *closingEcho) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closes = append(c.closes, c.open)
	return nil
}

type countedSession struct {
	pluginapi.Session
	owner *closingEcho
	once  sync.Once
}

func (s *countedSession) Close() error {
	s.once.Do(func() {
		s.owner.mu.Lock()
		s.owner.open--
		s.owner.mu.Unlock()
	})
	return s.Session.Close()
}

// A transport that is an io.Closer is closed once when the plugin stops,
// after its sessions ended.
func TestTransportClosedAfterSessions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &closingEcho{}
	p, err := host.NewInProcess(tr, host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn := p.Connector(nil)
	if err := conn.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.closes) != 1 || tr.closes[0] != 0 {
		t.Fatalf("Close calls with sessions open: %v, want one call with none open", tr.closes)
	}
}
