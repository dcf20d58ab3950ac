package client

import (
	"sync"

	"github.com/bphost/bphost/core/protocol"
)

// Event is something the client reports on its own: one of Connected,
// DeviceAdded, DeviceRemoved, ScanningFinished, ServerError, ProtocolError,
// InputReading, PingFailed, Disconnected, or Missed.
type Event interface{ isEvent() }

// Connected reports a completed handshake.
type Connected struct{ Info ServerInfo }

// DeviceAdded reports a device the server made available, including those
// present when the client connected.
type DeviceAdded struct{ Device *Device }

// DeviceRemoved reports a device that went away; also sent for every device
// when the session ends.
type DeviceRemoved struct{ Device *Device }

// ScanningFinished reports that the server's scans ended.
type ScanningFinished struct{}

// ServerError is an Error the server sent that answers no request.
type ServerError struct{ Err *protocol.Error }

// ProtocolError reports a frame or message from the server that could not
// be decoded or fits no request. Err wraps ErrMalformed or
// ErrUnexpectedReply. The connection stays up.
type ProtocolError struct{ Err error }

// InputReading is a reading of a subscribed input. Values holds one value
// for spec v4 servers and the reading's Data array for spec v3; every
// receiver of the event shares it, so it must not be modified.
type InputReading struct {
	Device  *Device
	Feature uint32
	Type    protocol.InputType
	Values  []int32
}

// PingFailed reports that the automatic ping failed; the client disconnects
// right after it.
type PingFailed struct{ Err error }

// Disconnected reports the end of a session, exactly once per session that
// reached Connected. Err wraps ErrDisconnected and the cause.
type Disconnected struct{ Err error }

// Missed tells a subscriber that it fell behind and Count events were
// dropped at this place in its stream.
type Missed struct{ Count int }

func (Connected) isEvent()        {}
func (DeviceAdded) isEvent()      {}
func (DeviceRemoved) isEvent()    {}
func (ScanningFinished) isEvent() {}
func (ServerError) isEvent()      {}
func (ProtocolError) isEvent()    {}
func (InputReading) isEvent()     {}
func (PingFailed) isEvent()       {}
func (Disconnected) isEvent()     {}
func (Missed) isEvent()           {}

// Subscription receives events on C until Close. Events are buffered; when
// the buffer is full, further events are counted and reported as one Missed
// event in their place, so the publisher never waits for the reader.
type Subscription struct {
	q      queue
	ch     chan Event
	stop   chan struct{}
	exited chan struct{}
	once   sync.Once
	onStop func(*Subscription)
}

func newSubscription(buffer int, onStop func(*Subscription)) *Subscription {
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	s := &Subscription{
		q:      queue{limit: buffer, ready: make(chan struct{}, 1)},
		ch:     make(chan Event),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
		onStop: onStop,
	}
	go s.pump()
	return s
}

// C returns the channel of events. It is closed after Close (and for input
// subscriptions when they end).
func (s *Subscription) C() <-chan Event { return s.ch }

// Close ends the subscription, drops what is buffered, and closes C. It is
// idempotent and returns once the subscription's goroutine has exited.
func (s *Subscription) Close() {
	s.once.Do(func() {
		close(s.stop)
		if s.onStop != nil {
			s.onStop(s)
		}
	})
	<-s.exited
}

// publish queues ev without blocking.
func (s *Subscription) publish(ev Event) { s.q.push(ev) }

// pump moves events from the queue to the channel; it is the only sender on
// ch and the only goroutine a subscription owns. An event leaves the queue
// only once delivered, so the buffer holds exactly what the reader has not
// taken, however the goroutines are scheduled.
func (s *Subscription) pump() {
	defer close(s.exited)
	defer close(s.ch)
	for {
		it, ok := s.q.peek(s.stop)
		if !ok {
			return
		}
		ev := it.ev
		if it.missed > 0 {
			ev = Missed{Count: it.missed}
		}
		select {
		case s.ch <- ev:
			s.q.consume(it)
		case <-s.stop:
			return
		}
	}
}

// queue is a bounded FIFO of events. On overflow the tail becomes a marker
// counting the dropped events, so a reader learns where it lost them. It
// holds at most limit events; markers come on top, at most one after each
// event and one at the front, so a ring of 2*limit+1 slots always fits.
type queue struct {
	mu     sync.Mutex
	ring   []item // allocated on first use
	head   int
	n      int // items in the ring, markers included
	events int // events in the ring
	limit  int
	ready  chan struct{} // signalled after every push
	missed int           // total dropped, for tests and logs
}

type item struct {
	ev     Event
	missed int // > 0: a marker for this many dropped events
}

func (q *queue) push(ev Event) {
	q.mu.Lock()
	if q.ring == nil {
		q.ring = make([]item, 2*q.limit+1)
	}
	tail := &q.ring[(q.head+q.n+len(q.ring)-1)%len(q.ring)]
	switch {
	case q.events < q.limit:
		q.ring[(q.head+q.n)%len(q.ring)] = item{ev: ev}
		q.n++
		q.events++
	case q.n > 0 && tail.missed > 0:
		q.missed++
		tail.missed++
	default:
		q.missed++
		q.ring[(q.head+q.n)%len(q.ring)] = item{missed: 1}
		q.n++
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// peek waits for the oldest item and returns a copy of it; false once stop
// is closed.
func (q *queue) peek(stop <-chan struct{}) (item, bool) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			it := q.ring[q.head]
			q.mu.Unlock()
			return it, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-stop:
			return item{}, false
		}
	}
}

// consume removes the delivered item. A marker that counted more drops
// while it was being delivered stays, with the rest of its count.
func (q *queue) consume(sent item) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if h := &q.ring[q.head]; sent.missed > 0 && h.missed > sent.missed {
		h.missed -= sent.missed
		return
	}
	if q.ring[q.head].missed == 0 {
		q.events--
	}
	q.ring[q.head] = item{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
}

// hub fans events out to the client's subscriptions.
type hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

func (h *hub) subscribe(buffer int) *Subscription {
	s := newSubscription(buffer, h.remove)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// publish hands ev to every subscription; it never blocks on a reader.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	for s := range h.subs {
		s.publish(ev)
	}
	h.mu.Unlock()
}
