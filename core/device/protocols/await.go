package protocols

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bphost/bphost/core/device/comm"
)

// awaitNotification waits up to timeout for the next notification of lis.
// ok is false when none came in time; err is set when the device
// disconnected or ctx ended.
func awaitNotification(ctx context.Context, lis Listener, timeout time.Duration) (data []byte, ok bool, err error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case data, open := <-lis.C():
		if !open {
			return nil, false, comm.ErrDisconnected
		}
		return data, true, nil
	case <-t.C:
		return nil, false, nil
	case <-ctx.Done():
		return nil, false, fmt.Errorf("waiting for a notification: %w", ctx.Err())
	}
}

// task is a goroutine owned by a handler (a movement or keepalive loop).
type task struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startTask runs run in a goroutine until Close.
func startTask(run func(ctx context.Context)) *task {
	ctx, cancel := context.WithCancel(context.Background())
	t := &task{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		run(ctx)
	}()
	return t
}

// Close stops the goroutine and waits for it.
func (t *task) Close() {
	t.cancel()
	<-t.done
}

// taskWriteTimeout bounds a write a handler goroutine makes on its own.
const taskWriteTimeout = time.Second

// taskWrite writes from a handler goroutine, bounded by taskWriteTimeout.
func taskWrite(ctx context.Context, link Link, ep comm.Endpoint, data []byte, withResponse bool) error {
	ctx, cancel := context.WithTimeout(ctx, taskWriteTimeout)
	defer cancel()
	return link.Write(ctx, ep, data, withResponse)
}

// taskGone reports whether a write of a handler goroutine failed for good:
// the device is gone or the handler closed. Any other failure (a write that
// timed out on a busy link) is worth trying again on the next round, or
// the goroutine's keep-alives and movements would end for the rest of the
// connection.
func taskGone(ctx context.Context, err error) bool {
	return err != nil && (ctx.Err() != nil || errors.Is(err, comm.ErrDisconnected))
}

// tick calls f every interval until ctx ends or f returns false.
func tick(ctx context.Context, interval time.Duration, f func(ctx context.Context) bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !f(ctx) {
			return
		}
	}
}
