// Package observers is a list of callbacks that several parts of the
// program can join and leave while events are delivered: the device
// manager's and the server's events have one reader each (the server, the
// session observer) and a control panel that comes and goes beside them.
package observers

import "sync"

// List holds callbacks of T. The zero List is empty and ready to use; it
// is safe for concurrent use.
type List[T any] struct {
	mu   sync.Mutex
	next uint64
	fs   map[uint64]func(T)
}

// Add registers f; the returned remove unregisters it and is idempotent.
// Once remove has returned, f is not called again by a Notify that starts
// afterwards.
func (l *List[T]) Add(f func(T)) (remove func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fs == nil {
		l.fs = map[uint64]func(T){}
	}
	id := l.next
	l.next++
	l.fs[id] = f
	return func() {
		l.mu.Lock()
		delete(l.fs, id)
		l.mu.Unlock()
	}
}

// Notify calls every registered callback with v, in no particular order,
// on the caller's goroutine. Callbacks must not block.
func (l *List[T]) Notify(v T) {
	l.mu.Lock()
	fs := make([]func(T), 0, len(l.fs))
	for _, f := range l.fs {
		fs = append(fs, f)
	}
	l.mu.Unlock()
	for _, f := range fs {
		f(v)
	}
}
