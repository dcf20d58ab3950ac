package connector_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
)

var _ connector.Connector = (*connector.PipeEnd)(nil)

// testCtx bounds a test so a bug shows up as a failure, not a hang.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPipeDeliversInOrderBothWays(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(4)
	defer a.Close()
	for _, dir := range []struct {
		name     string
		from, to *connector.PipeEnd
	}{{"a->b", a, b}, {"b->a", b, a}} {
		t.Run(dir.name, func(t *testing.T) {
			for i := range 3 {
				if err := dir.from.Send(ctx, fmt.Appendf(nil, "frame %d", i)); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			for i := range 3 {
				f, err := dir.to.Recv(ctx)
				if err != nil {
					t.Fatalf("Recv %d: %v", i, err)
				}
				if want := fmt.Sprintf("frame %d", i); string(f) != want {
					t.Errorf("Recv %d = %q, want %q", i, f, want)
				}
			}
		})
	}
}

func TestPipeCopiesFrames(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(1)
	defer a.Close()
	frame := []byte(`[{"Ping":{"Id":1}}]`)
	if err := a.Send(ctx, frame); err != nil {
		t.Fatal(err)
	}
	frame[0] = 'X' // the sender may reuse its buffer after Send
	got, err := b.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `[{"Ping":{"Id":1}}]` {
		t.Errorf("received %q: the pipe kept the sender's buffer", got)
	}
}

func TestPipeConnect(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(0)
	if err := a.Connect(ctx); err != nil {
		t.Fatalf("Connect on open pipe: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Connect(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Connect with cancelled ctx = %v, want context.Canceled", err)
	}
	a.Close()
	if err := a.Connect(ctx); !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrClosed) {
		t.Errorf("Connect on the closing end = %v, want disconnected/closed locally", err)
	}
	if err := b.Connect(ctx); !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrPeerClosed) {
		t.Errorf("Connect on the other end = %v, want disconnected/closed by peer", err)
	}
}

func TestPipeCloseDrainsToTheOtherEnd(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(8)
	for i := range 3 {
		if err := a.Send(ctx, []byte{byte('0' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for i := range 3 {
		f, err := b.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv %d after peer close: %v (frames sent before Close were lost)", i, err)
		}
		if !bytes.Equal(f, []byte{byte('0' + i)}) {
			t.Errorf("Recv %d = %q", i, f)
		}
	}
	_, err := b.Recv(ctx)
	if !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrPeerClosed) {
		t.Errorf("Recv after drain = %v, want disconnected by peer", err)
	}
	if err := b.Send(ctx, []byte("x")); !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrPeerClosed) {
		t.Errorf("Send to a closed peer = %v", err)
	}
}

// The closing end must not read frames after Close, even with frames
// buffered: select picks at random among ready cases, so try many times.
func TestPipeClosingEndFailsDeterministically(t *testing.T) {
	ctx := testCtx(t)
	for i := range 200 {
		a, b := connector.Pipe(4)
		if err := b.Send(ctx, []byte("late")); err != nil {
			t.Fatal(err)
		}
		a.Close()
		f, err := a.Recv(ctx)
		if !errors.Is(err, connector.ErrClosed) {
			t.Fatalf("iteration %d: Recv on the closed end = %q, %v; want ErrClosed", i, f, err)
		}
		if err := a.Send(ctx, []byte("x")); !errors.Is(err, connector.ErrClosed) {
			t.Fatalf("iteration %d: Send on the closed end = %v; want ErrClosed", i, err)
		}
	}
}

func TestPipeCloseWithCause(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(0)
	a.CloseWithCause(io.ErrUnexpectedEOF)
	a.CloseWithCause(io.EOF) // only the first close counts
	b.Close()
	_, err := b.Recv(ctx)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, connector.ErrDisconnected) {
		t.Errorf("Recv = %v, want a disconnect caused by io.ErrUnexpectedEOF", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v, want nil (idempotent)", err)
	}
}

func TestPipeContextCancel(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(1)
	defer a.Close()

	recvCtx, cancelRecv := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Recv(recvCtx)
		errc <- err
	}()
	cancelRecv()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("blocked Recv after cancel = %v", err)
	}

	if err := a.Send(ctx, []byte("fills the buffer")); err != nil {
		t.Fatal(err)
	}
	sendCtx, cancelSend := context.WithCancel(ctx)
	go func() { errc <- a.Send(sendCtx, []byte("blocks")) }()
	cancelSend()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("blocked Send after cancel = %v", err)
	}

	// Only the frame that filled the buffer may arrive.
	f, err := b.Recv(ctx)
	if err != nil || string(f) != "fills the buffer" {
		t.Fatalf("Recv = %q, %v", f, err)
	}
	// With room in the buffer, a done ctx must still win every time.
	done, cancelDone := context.WithCancel(ctx)
	cancelDone()
	for range 100 {
		if err := a.Send(done, []byte("never")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Send with a done ctx = %v", err)
		}
	}
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if f, err := b.Recv(short); err == nil {
		t.Errorf("a cancelled Send delivered %q", f)
	}
}

func TestPipeCloseUnblocksBothEnds(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(1)
	if err := a.Send(ctx, []byte("fills the buffer")); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 2)
	go func() { errc <- a.Send(ctx, []byte("blocked")) }()
	go func() {
		_, err := a.Recv(ctx)
		errc <- err
	}()
	b.Close()
	for range 2 {
		if err := <-errc; !errors.Is(err, connector.ErrDisconnected) {
			t.Errorf("blocked call after peer Close = %v, want a disconnect", err)
		}
	}
}

func TestPipeConcurrentSenders(t *testing.T) {
	ctx := testCtx(t)
	a, b := connector.Pipe(2)
	defer a.Close()
	const senders, each = 8, 50
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := a.Send(ctx, fmt.Appendf(nil, "%d/%d", s, i)); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	next := make([]int, senders) // frames of one sender keep their order
	for range senders * each {
		f, err := b.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var s, i int
		if _, err := fmt.Sscanf(string(f), "%d/%d", &s, &i); err != nil {
			t.Fatalf("bad frame %q", f)
		}
		if i != next[s] {
			t.Fatalf("sender %d: got frame %d, want %d", s, i, next[s])
		}
		next[s]++
	}
	wg.Wait()
}

// A frame over MaxFrame is refused locally, as by every connector; one of
// exactly MaxFrame goes through, and so do the frames after.
func TestPipeFrameTooLarge(t *testing.T) {
	a, b := connector.Pipe(0)
	defer a.Close()
	ctx := context.Background()
	if err := a.Send(ctx, make([]byte, connector.MaxFrame+1)); !errors.Is(err, connector.ErrFrameTooLarge) {
		t.Fatalf("oversize send: %v, want ErrFrameTooLarge", err)
	}
	if err := a.Send(ctx, make([]byte, connector.MaxFrame)); err != nil {
		t.Fatal(err)
	}
	if f, err := b.Recv(ctx); err != nil || len(f) != connector.MaxFrame {
		t.Fatalf("frame of MaxFrame: %d bytes, %v", len(f), err)
	}
}

func TestReadFrame(t *testing.T) {
	if f, err := connector.ReadFrame(bytes.NewReader([]byte(`[1]`))); err != nil || string(f) != `[1]` {
		t.Fatalf("ReadFrame = %q, %v", f, err)
	}
	r := bytes.NewReader(make([]byte, connector.MaxFrame+10))
	if _, err := connector.ReadFrame(r); !errors.Is(err, connector.ErrFrameTooLarge) || r.Len() != 0 {
		t.Fatalf("oversize: %v, %d bytes left unread", err, r.Len())
	}
}
