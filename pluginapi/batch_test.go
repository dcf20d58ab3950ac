package pluginapi_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func numbered(i int) []byte { return fmt.Appendf(nil, "[%d]", i) }

// A host from before batches of frames (its attach message does not ask
// for them) gets one frame per message and no announcement it could not
// read, even when many echoes are waiting at once.
func TestOlderHostGetsSingleFrames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := rawClient(t)
	st := attach(t, ctx, c, openRaw(t, ctx, c))
	const n = 200
	for i := range n {
		if err := st.Send(&pb.FramesRequest{Frame: numbered(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		m, err := st.Recv()
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if m.GetBatches() || len(m.GetFrames()) > 0 {
			t.Fatalf("echo %d: the older host got %v, which it cannot read", i, m)
		}
		if !bytes.Equal(m.GetFrame(), numbered(i)) {
			t.Fatalf("echo %d: %q", i, m.GetFrame())
		}
	}
	_ = st.CloseSend()
}

// A host that asks for batches hears first that the plugin reads them;
// frames it sends in batches reach the transport in order, and the echoes
// come back in order, in batches or not; a frame over the limit inside a
// batch ends the session as a single one does.
func TestBatchesOfFrames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := rawClient(t)
	st, err := c.Frames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.FramesRequest{SessionId: openRaw(t, ctx, c), Batches: true}); err != nil {
		t.Fatal(err)
	}
	if m, err := st.Recv(); err != nil || !m.GetBatches() || m.GetFrame() != nil || len(m.GetFrames()) > 0 {
		t.Fatalf("first answer %v, %v: want batches alone", m, err)
	}
	const n = 300
	for i := 0; i < n; i += 3 {
		if err := st.Send(&pb.FramesRequest{Frames: [][]byte{numbered(i), numbered(i + 1), numbered(i + 2)}}); err != nil {
			t.Fatal(err)
		}
	}
	got, batched := 0, 0
	for got < n {
		m, err := st.Recv()
		if err != nil {
			t.Fatalf("after %d echoes: %v", got, err)
		}
		frames := m.GetFrames()
		if len(frames) == 0 {
			frames = [][]byte{m.GetFrame()}
		} else {
			batched++
		}
		for _, f := range frames {
			if !bytes.Equal(f, numbered(got)) {
				t.Fatalf("echo %d: %q", got, f)
			}
			got++
		}
	}
	t.Logf("%d echoes, %d batches", got, batched)
	if err := st.Send(&pb.FramesRequest{Frames: [][]byte{numbered(0), make([]byte, 65)}}); err != nil {
		t.Fatal(err)
	}
	if m, err := st.Recv(); err != nil || !bytes.Equal(m.GetFrame(), numbered(0)) {
		t.Fatalf("the frame before the oversized one: %v, %v", m, err)
	}
	_, err = st.Recv()
	if _, sentinel, ok := pluginapi.FromStatus(err); !ok || status.Code(err) != codes.ResourceExhausted || sentinel != connector.ErrFrameTooLarge {
		t.Errorf("oversized frame in a batch: %v, want ResourceExhausted with kind FRAME_TOO_LARGE", err)
	}
}
