package device

import (
	"context"
	"fmt"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/protocols"
)

// link wraps a connected comm.Hardware for protocols: it fans the
// notifications out to listeners and notices the disconnect. Its one
// goroutine ends when the hardware closes its notification channel.
type link struct {
	hw  comm.Hardware
	adv comm.Advertisement

	mu        sync.Mutex
	listeners map[*listener]struct{}
	gone      bool

	done chan struct{} // closed once the hardware is disconnected
}

var _ protocols.Link = (*link)(nil)

func newLink(hw comm.Hardware, adv comm.Advertisement) *link {
	l := &link{hw: hw, adv: adv, listeners: map[*listener]struct{}{}, done: make(chan struct{})}
	go l.dispatch()
	return l
}

func (l *link) dispatch() {
	for n := range l.hw.Notifications() {
		l.mu.Lock()
		for lis := range l.listeners {
			if lis.ep == n.Endpoint {
				lis.deliver(n.Data)
			}
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.gone = true
	for lis := range l.listeners {
		delete(l.listeners, lis)
		close(lis.ch)
	}
	l.mu.Unlock()
	close(l.done)
}

// close disconnects the hardware; the dispatcher then ends.
func (l *link) close() error { return l.hw.Disconnect() }

func (l *link) disconnected() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

func (l *link) check() error {
	if l.disconnected() {
		return fmt.Errorf("%s: %w", l.hw.Name(), comm.ErrDisconnected)
	}
	return nil
}

func (l *link) Name() string    { return l.hw.Name() }
func (l *link) Address() string { return l.hw.Address() }

func (l *link) Advertisement() comm.Advertisement { return l.adv }

func (l *link) HasEndpoint(ep comm.Endpoint) bool {
	for _, e := range l.hw.Endpoints() {
		if e == ep {
			return true
		}
	}
	return false
}

func (l *link) Write(ctx context.Context, ep comm.Endpoint, data []byte, withResponse bool) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.hw.Write(ctx, ep, data, withResponse)
}

func (l *link) Read(ctx context.Context, ep comm.Endpoint, length int) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	return l.hw.Read(ctx, ep, length)
}

func (l *link) Subscribe(ctx context.Context, ep comm.Endpoint) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.hw.Subscribe(ctx, ep)
}

func (l *link) Unsubscribe(ctx context.Context, ep comm.Endpoint) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.hw.Unsubscribe(ctx, ep)
}

func (l *link) Listen(ep comm.Endpoint) protocols.Listener {
	lis := &listener{l: l, ep: ep, ch: make(chan []byte, listenerBuffer)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gone {
		close(lis.ch)
		return lis
	}
	l.listeners[lis] = struct{}{}
	return lis
}

// listenerBuffer bounds what a slow listener holds; beyond it the oldest
// notification is dropped, since protocols want the latest answer.
const listenerBuffer = 64

type listener struct {
	l  *link
	ep comm.Endpoint
	ch chan []byte
}

// deliver is called with l.mu held.
func (lis *listener) deliver(data []byte) {
	b := append([]byte(nil), data...)
	select {
	case lis.ch <- b:
		return
	default:
	}
	select {
	case <-lis.ch:
	default:
	}
	select {
	case lis.ch <- b:
	default:
	}
}

func (lis *listener) C() <-chan []byte { return lis.ch }

func (lis *listener) Close() {
	lis.l.mu.Lock()
	defer lis.l.mu.Unlock()
	if _, ok := lis.l.listeners[lis]; ok {
		delete(lis.l.listeners, lis)
		close(lis.ch)
	}
}
