package connector

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Deadline is a context done at a deadline or with its parent, that makes
// its timer only when something asks for Done. Sockets only read the
// deadline and an in-process pipe with room takes a frame at once, so a
// Send or WriteFrame bounded by a Deadline seldom makes a timer; making one
// per frame (context.WithTimeout) cost a timer, a channel, their garbage
// and, on a VM, often a wake-up of the runtime's poller on another CPU.
type Deadline struct {
	parent context.Context
	at     time.Time

	once     sync.Once
	inner    context.Context
	cancel   context.CancelFunc
	armed    atomic.Bool // inner exists: it answers from now on
	released atomic.Bool
}

// NewDeadline returns a context done at at, or when parent is. Release it
// when the call it bounds returns.
func NewDeadline(parent context.Context, at time.Time) *Deadline {
	return &Deadline{parent: parent, at: at}
}

// canceled is what a Deadline is once released before it made a timer:
// done, as a cancelled context.WithDeadline is.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func (d *Deadline) timer() context.Context {
	d.once.Do(func() {
		d.inner, d.cancel = context.WithDeadline(d.parent, d.at)
		d.armed.Store(true)
	})
	return d.inner
}

// Deadline returns the earlier of at and the parent's deadline.
func (d *Deadline) Deadline() (time.Time, bool) {
	if pd, ok := d.parent.Deadline(); ok && pd.Before(d.at) {
		return pd, true
	}
	return d.at, true
}

// Done makes the timer, once.
func (d *Deadline) Done() <-chan struct{} { return d.timer().Done() }

// Err is nil before the deadline while the parent is not done, without a
// timer.
func (d *Deadline) Err() error {
	if !d.armed.Load() && !d.released.Load() {
		if err := d.parent.Err(); err != nil {
			return err
		}
		if time.Now().Before(d.at) {
			return nil
		}
	}
	return d.timer().Err()
}

// Value is the parent's.
func (d *Deadline) Value(key any) any { return d.parent.Value(key) }

// Release stops the timer if one was made; the context is done after it,
// as a cancelled context.WithDeadline is.
func (d *Deadline) Release() {
	d.released.Store(true)
	d.once.Do(func() { d.inner = canceled; d.armed.Store(true) })
	if d.cancel != nil {
		d.cancel()
	}
}

// CoarseWriteDeadline returns conn with write deadlines that move in steps.
// SetWriteDeadline(t) leaves the socket alone while the deadline it holds
// is not before t and not more than a quarter of the time left until t
// after it; otherwise it sets t plus that quarter. So a write may fail up
// to a quarter of its time later than asked, never sooner, and a burst of
// frames shares one socket deadline. Each socket deadline set is a runtime
// timer moved, and a moved timer wakes the runtime's poller or an idle
// thread: per frame (gorilla/websocket sets its deadline on every write)
// that cost about as much CPU as the frame's write.
func CoarseWriteDeadline(conn net.Conn) net.Conn {
	return &coarseConn{Conn: conn}
}

type coarseConn struct {
	net.Conn
	mu  sync.Mutex
	set time.Time // the socket's write deadline; zero for none
}

func (c *coarseConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() {
		if c.set.IsZero() {
			return nil
		}
		c.set = time.Time{}
		return c.Conn.SetWriteDeadline(t)
	}
	left := time.Until(t)
	if !c.set.IsZero() && !c.set.Before(t) && c.set.Sub(t) <= left/4 {
		return nil
	}
	if left > 0 {
		t = t.Add(left / 4)
	}
	c.set = t
	return c.Conn.SetWriteDeadline(t)
}

// NetConn returns the wrapped connection, as tls.Conn's does, for callers
// that need the socket itself (its options, its file descriptor).
func (c *coarseConn) NetConn() net.Conn { return c.Conn }

func (c *coarseConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set = t
	return c.Conn.SetDeadline(t)
}
