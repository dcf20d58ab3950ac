package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

// withhold makes the session keep requests of type T unanswered and hands
// their ids to the test.
func withhold[T protocol.Message](s *fakeserver.Session) <-chan uint32 {
	ids := make(chan uint32, 64)
	s.SetHandler(func(_ *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(T); ok {
			ids <- m.MessageID()
			return nil, true
		}
		return nil, false
	})
	return ids
}

func recvID(t *testing.T, ctx context.Context, ids <-chan uint32) uint32 {
	t.Helper()
	select {
	case id := <-ids:
		return id
	case <-ctx.Done():
		t.Fatal("request not received")
		return 0
	}
}

func (h *harness) session() *session {
	h.t.Helper()
	s, err := h.c.session()
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) setNextID(id uint32) {
	s := h.session()
	s.mu.Lock()
	s.nextID = id
	s.mu.Unlock()
}

func frameID(t *testing.T, f fakeserver.Frame) uint32 {
	t.Helper()
	if len(f.Msgs) != 1 {
		t.Fatalf("frame %s", f.Raw)
	}
	return f.Msgs[0].MessageID()
}

// Ids run 1..4294967295 and wrap, never using 0 or an id in flight or
// reserved for a late reply.
func TestIDWrapAround(t *testing.T) {
	h := start(t, fakeserver.Config{})
	skipUntil[Connected](t, h.ctx, h.events)
	withheld := withhold[*protocol.StartScanning](h.sess)

	// Id 1 stays in flight.
	h.setNextID(0)
	scanErr := make(chan error, 1)
	go func() { scanErr <- h.c.StartScanning(h.ctx) }()
	if id := recvID(t, h.ctx, withheld); id != 1 {
		t.Fatalf("first id after reset = %d, want 1", id)
	}
	h.next()
	// Id 2 is given up by its caller but may still be answered.
	cctx, cancel := context.WithCancel(h.ctx)
	cancelled := make(chan error, 1)
	go func() { cancelled <- h.c.StartScanning(cctx) }()
	if id := recvID(t, h.ctx, withheld); id != 2 {
		t.Fatalf("second id = %d, want 2", id)
	}
	h.next()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request = %v", err)
	}

	h.setNextID(math.MaxUint32 - 2)
	var got []uint32
	for range 4 {
		if err := h.c.StopScanning(h.ctx); err != nil {
			t.Fatal(err)
		}
		got = append(got, frameID(t, h.next()))
	}
	deepEqual(t, "ids across the wrap", got, []uint32{math.MaxUint32 - 1, math.MaxUint32, 3, 4})

	// The late reply to 2 is dropped quietly; the reply to 1 still lands.
	if err := h.sess.Send(&protocol.Ok{ID: 2}, &protocol.Ok{ID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := <-scanErr; err != nil {
		t.Fatalf("withheld request = %v", err)
	}
	// Id 2 is free again once its late reply came.
	h.setNextID(1)
	if err := h.c.StopScanning(h.ctx); err != nil {
		t.Fatal(err)
	}
	if id := frameID(t, h.next()); id != 2 {
		t.Errorf("id after the late reply = %d, want 2", id)
	}
	h.noEventsBefore(h.events)
}

func TestAllocIDSkipsBusyIDs(t *testing.T) {
	s := &session{pending: map[uint32]*call{1: nil, 2: nil}, abandoned: map[uint32]struct{}{4: {}}}
	s.nextID = math.MaxUint32 - 1
	var got []uint32
	for range 4 {
		got = append(got, s.allocID())
	}
	deepEqual(t, "ids", got, []uint32{math.MaxUint32, 3, 5, 6})
}

func TestAbandonedIDsAreBounded(t *testing.T) {
	s := &session{pending: map[uint32]*call{}, abandoned: map[uint32]struct{}{}}
	for id := uint32(1); id <= maxAbandoned+10; id++ {
		s.pending[id] = &call{id: id}
		s.abandon(id)
	}
	if len(s.abandoned) != maxAbandoned || len(s.abandonedFIFO) != maxAbandoned {
		t.Fatalf("%d reserved ids, want %d", len(s.abandoned), maxAbandoned)
	}
	if _, ok := s.abandoned[1]; ok {
		t.Error("oldest reservation kept")
	}
	if _, ok := s.abandoned[maxAbandoned+10]; !ok {
		t.Error("newest reservation dropped")
	}
}

func TestUnknownReplyIsReported(t *testing.T) {
	h := start(t, fakeserver.Config{})
	skipUntil[Connected](t, h.ctx, h.events)
	if err := h.sess.Send(&protocol.Ok{ID: 999}); err != nil {
		t.Fatal(err)
	}
	pe := expectEvent[ProtocolError](t, h.ctx, h.events)
	if !errors.Is(pe.Err, ErrUnexpectedReply) {
		t.Errorf("ProtocolError %v, want ErrUnexpectedReply", pe.Err)
	}
}

func TestRequestTimeout(t *testing.T) {
	// The timeout also bounds Connect's device list request, which must
	// succeed on a loaded machine; the withheld command still times out.
	const timeout = 500 * time.Millisecond
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()}, WithRequestTimeout(timeout))
	ids := withhold[*protocol.OutputCmd](h.sess)
	began := time.Now()
	err := h.device(0).Vibrate(h.ctx, Fraction(0.5))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Vibrate = %v, want ErrTimeout", err)
	}
	if took := time.Since(began); took < timeout {
		t.Fatalf("Vibrate timed out after %v, before its timeout of %v", took, timeout)
	}
	// The id stays reserved: its late reply is dropped, not reported as
	// answering nothing, and the next request still works.
	if err := h.sess.Send(&protocol.Ok{ID: recvID(t, h.ctx, ids)}); err != nil {
		t.Fatal(err)
	}
	if err := h.c.StopAllDevices(h.ctx); err != nil {
		t.Fatalf("StopAllDevices after the late reply: %v", err)
	}
	quiet := time.After(200 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case ev := <-h.events.C():
			if pe, ok := ev.(ProtocolError); ok {
				t.Fatalf("late reply reported: %v", pe.Err)
			}
		case <-quiet:
			waiting = false
		}
	}

	// The caller's own earlier deadline is reported as such.
	h2 := start(t, fakeserver.Config{DevicesV4: devicesV4()}, WithRequestTimeout(time.Hour))
	withhold[*protocol.OutputCmd](h2.sess)
	ctx, cancel := context.WithTimeout(h2.ctx, 20*time.Millisecond)
	defer cancel()
	err = h2.device(0).Vibrate(ctx, Fraction(0.5))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Vibrate = %v, want the caller's deadline", err)
	}
	if !h2.c.Connected() {
		t.Error("a timeout disconnected the client")
	}
}

func TestNoRequestTimeout(t *testing.T) {
	h := start(t, fakeserver.Config{}, WithRequestTimeout(0))
	ids := withhold[*protocol.StartScanning](h.sess)
	errc := make(chan error, 1)
	go func() { errc <- h.c.StartScanning(h.ctx) }()
	id := recvID(t, h.ctx, ids)
	// With no default timeout the request waits for its reply.
	if err := h.sess.Send(&protocol.Ok{ID: id}); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Many goroutines share the client; the server answers in batches in
// reverse order.
func TestConcurrentRequestsOutOfOrder(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	const goroutines, each, batch = 10, 20, 10
	var mu sync.Mutex
	var held []uint32
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(*protocol.OutputCmd); !ok {
			return nil, false
		}
		mu.Lock()
		defer mu.Unlock()
		held = append(held, m.MessageID())
		if len(held) < batch {
			return nil, true
		}
		var replies []protocol.Message
		for _, id := range slices.Backward(held) {
			replies = append(replies, &protocol.Ok{ID: id})
		}
		held = nil
		return replies, true
	})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			d := h.device(0)
			for i := range each {
				if err := d.Vibrate(h.ctx, Steps(int32((g+i)%21))); err != nil {
					errs <- fmt.Errorf("goroutine %d request %d: %w", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := h.session()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) != 0 || len(s.abandoned) != 0 {
		t.Errorf("%d pending and %d abandoned requests left", len(s.pending), len(s.abandoned))
	}
}

func TestErrorReplyKeepsCode(t *testing.T) {
	h := start(t, fakeserver.Config{})
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		return []protocol.Message{protocol.NewError(m.MessageID(), protocol.ErrorUnknown, "NoDeviceCommManagers")}, true
	})
	err := h.c.StartScanning(h.ctx)
	var perr *protocol.Error
	if !errors.As(err, &perr) || perr.ErrorCode != protocol.ErrorUnknown || perr.ErrorMessage != "NoDeviceCommManagers" {
		t.Fatalf("StartScanning = %v", err)
	}
}

// TestOkFrameSpelledLoosely: an Ok reply written with white space (not the
// compact form the protocol package reads on its fast path) still answers.
func TestOkFrameSpelledLoosely(t *testing.T) {
	h := start(t, fakeserver.Config{})
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		_ = s.SendRaw(fmt.Sprintf(` [ { "Ok" : { "Id" : %d } } ] `, m.MessageID()))
		return nil, true
	})
	if err := h.c.StartScanning(h.ctx); err != nil {
		t.Fatal(err)
	}
}
