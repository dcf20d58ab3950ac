package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// released is what a writeCtx is once released without a timer: done,
// as a cancelled context.WithTimeout would be.
var released = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// writeCtx bounds one frame write by a deadline without arming a timer
// unless the write has to wait. Transports over sockets only read the
// deadline (to set the socket's), and an in-process pipe with room takes
// the frame at once; only a write that blocks asks for Done, which is when
// the timer is made. context.WithTimeout per frame cost a timer, a channel
// and their garbage on every reply.
type writeCtx struct {
	deadline time.Time

	once     sync.Once
	inner    context.Context
	cancel   context.CancelFunc
	released atomic.Bool
}

func newWriteCtx(d time.Duration) *writeCtx {
	return &writeCtx{deadline: time.Now().Add(d)}
}

func (w *writeCtx) timer() context.Context {
	w.once.Do(func() { w.inner, w.cancel = context.WithDeadline(context.Background(), w.deadline) })
	return w.inner
}

func (w *writeCtx) Deadline() (time.Time, bool) { return w.deadline, true }

func (w *writeCtx) Done() <-chan struct{} { return w.timer().Done() }

func (w *writeCtx) Err() error {
	if !w.released.Load() && time.Now().Before(w.deadline) {
		return nil
	}
	return w.timer().Err()
}

func (w *writeCtx) Value(any) any { return nil }

// release stops the timer if one was made; the context is done after it,
// as a cancelled context.WithTimeout is.
func (w *writeCtx) release() {
	w.released.Store(true)
	w.once.Do(func() { w.inner = released })
	if w.cancel != nil {
		w.cancel()
	}
}
