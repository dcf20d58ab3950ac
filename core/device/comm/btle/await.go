package btle

import (
	"context"
	"sync"
)

// await runs f, a call that takes no context, in a goroutine and waits for
// it or ctx, whichever ends first. A call abandoned that way still runs to
// its end (the system's own timeout); late then gets a result that
// succeeded after all, to undo it (a connection nobody waits for).
func await[T any](ctx context.Context, f func() (T, error), late func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	var mu sync.Mutex
	abandoned := false
	go func() {
		v, err := f()
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			if err == nil && late != nil {
				late(v)
			}
			return
		}
		ch <- result{v, err}
	}()
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case res := <-ch:
			return res.v, res.err
		default:
		}
		abandoned = true
		var zero T
		return zero, ctx.Err()
	}
}
