package client

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

type numbered int

func (numbered) isEvent() {}

// settle waits until the subscription's goroutine has taken delivered
// events off its queue, so a test that both publishes and reads sees exact
// counts.
func settle(t *testing.T, s *Subscription, events int) {
	t.Helper()
	ctx := testCtx(t)
	for {
		s.q.mu.Lock()
		n := s.q.events
		s.q.mu.Unlock()
		if n <= events {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("queue holds %d events, want %d", n, events)
		default:
			runtime.Gosched()
		}
	}
}

func TestSubscriptionReportsMissedEvents(t *testing.T) {
	ctx := testCtx(t)
	var h hub
	s := h.subscribe(3)
	defer s.Close()
	for i := range 10 {
		h.publish(numbered(i))
	}
	for _, want := range []Event{numbered(0), numbered(1), numbered(2), Missed{Count: 7}} {
		if got := nextEvent(t, ctx, s); got != want {
			t.Fatalf("event %v, want %v", got, want)
		}
	}
	// Caught up: nothing more is dropped.
	settle(t, s, 0)
	for i := 10; i < 13; i++ {
		h.publish(numbered(i))
	}
	for i := 10; i < 13; i++ {
		if got := nextEvent(t, ctx, s); got != numbered(i) {
			t.Fatalf("event %v, want %d", got, i)
		}
	}
}

// The marker sits where the events were lost, before later ones.
func TestMissedMarkerKeepsItsPlace(t *testing.T) {
	ctx := testCtx(t)
	var h hub
	s := h.subscribe(2)
	defer s.Close()
	h.publish(numbered(0))
	h.publish(numbered(1))
	h.publish(numbered(2)) // dropped
	h.publish(numbered(3)) // dropped
	if got := nextEvent(t, ctx, s); got != numbered(0) {
		t.Fatalf("got %v", got)
	}
	settle(t, s, 1)
	h.publish(numbered(4)) // room again, queued behind the marker
	for _, want := range []Event{numbered(1), Missed{Count: 2}, numbered(4)} {
		if got := nextEvent(t, ctx, s); got != want {
			t.Fatalf("event %v, want %v", got, want)
		}
	}
}

func TestSlowSubscriberDoesNotBlockTheClient(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	slow := h.c.Subscribe(1) // never read until the end
	defer slow.Close()
	for range 50 {
		if err := h.sess.Send(&protocol.ScanningFinished{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		if err := h.device(0).Vibrate(h.ctx, Fraction(0.5)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := nextEvent(t, h.ctx, slow).(ScanningFinished); !ok {
		t.Fatal("first event lost")
	}
	if m, ok := nextEvent(t, h.ctx, slow).(Missed); !ok || m.Count != 49 {
		t.Fatalf("want Missed{49}, got %+v", m)
	}
}

func TestSubscriptionClose(t *testing.T) {
	var h hub
	s := h.subscribe(0)
	h.publish(numbered(1))
	s.Close()
	s.Close() // idempotent
	for range s.C() {
		// Close may still hand over nothing; the channel must end.
	}
	h.publish(numbered(2)) // no subscriber left; must not block or panic
	h.mu.Lock()
	n := len(h.subs)
	h.mu.Unlock()
	if n != 0 {
		t.Errorf("%d subscriptions registered after Close", n)
	}
}

func TestSubscriptionsConcurrently(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var h hub
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s := h.subscribe(2)
			defer s.Close()
			for range 10 {
				select {
				case <-s.C():
				case <-ctx.Done():
					return
				}
			}
		})
	}
	for i := range 1000 {
		h.publish(numbered(i))
	}
	cancel()
	wg.Wait()
}

// Whatever the interleaving, every published event is either delivered in
// order or counted by a marker standing exactly where it was lost.
func TestQueueAccounting(t *testing.T) {
	for _, limit := range []int{1, 2, 5} {
		q := queue{limit: limit, ready: make(chan struct{}, 1)}
		rnd := rand.New(rand.NewPCG(1, uint64(limit)))
		stop := make(chan struct{})
		next, expect := 0, 0
		take := func() {
			it, _ := q.peek(stop)
			q.consume(it)
			if it.missed > 0 {
				expect += it.missed
				return
			}
			if got := int(it.ev.(numbered)); got != expect {
				t.Fatalf("limit %d: event %d, want %d", limit, got, expect)
			}
			expect++
		}
		for range 20000 {
			if rnd.IntN(10) < 6 {
				q.push(numbered(next))
				next++
			} else if q.n > 0 {
				take()
			}
			if q.events > limit || q.n > len(q.ring) {
				t.Fatalf("limit %d: %d events, %d items", limit, q.events, q.n)
			}
		}
		for q.n > 0 {
			take()
		}
		if expect != next || q.missed == 0 {
			t.Errorf("limit %d: accounted for %d of %d events (%d missed)", limit, expect, next, q.missed)
		}
	}
}
