package btle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
)

// notifyBuffer is how many notifications may wait for the device layer; past
// it they are dropped (and logged), as a radio drops them, rather than
// stalling the bus connection every other device shares.
const notifyBuffer = 256

// hardware is one connected toy: comm.Hardware over a link.
type hardware struct {
	m   *Manager
	adv comm.Advertisement
	l   link
	eps map[comm.Endpoint]gattChar
	log *slog.Logger

	mu      sync.Mutex
	down    bool // no more deliveries; notes closed
	notes   chan comm.Notification
	dropped int
	once    sync.Once
	gone    chan struct{} // closed once the link is down and notes closed
}

var _ comm.Hardware = (*hardware)(nil)

func newHardware(m *Manager, adv comm.Advertisement, l link, eps map[comm.Endpoint]gattChar) *hardware {
	h := &hardware{
		m: m, adv: adv, l: l, eps: eps, log: m.log,
		notes: make(chan comm.Notification, notifyBuffer),
		gone:  make(chan struct{}),
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		select {
		case <-l.lost():
		case <-m.done:
			_ = l.disconnect()
			<-l.lost()
		}
		h.finish()
	}()
	return h
}

// finish closes Notifications after the last delivery and lets the next scan
// report the device again.
func (h *hardware) finish() {
	h.once.Do(func() {
		h.mu.Lock()
		h.down = true
		close(h.notes)
		dropped := h.dropped
		h.mu.Unlock()
		if dropped > 0 {
			h.log.Warn("bluetooth notifications dropped: the device layer fell behind", "device", describe(h.adv), "count", dropped)
		}
		h.m.forget(h.adv.Address)
		close(h.gone)
	})
}

func (h *hardware) Name() string    { return h.adv.Name }
func (h *hardware) Address() string { return h.adv.Address }

func (h *hardware) Endpoints() []comm.Endpoint {
	out := make([]comm.Endpoint, 0, len(h.eps))
	for ep := range h.eps {
		out = append(out, ep)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (h *hardware) Notifications() <-chan comm.Notification { return h.notes }

// char returns the characteristic of ep, or why there is none to use.
func (h *hardware) char(ep comm.Endpoint) (gattChar, error) {
	select {
	case <-h.l.lost():
		return gattChar{}, fmt.Errorf("bluetooth %s: %w", describe(h.adv), comm.ErrDisconnected)
	default:
	}
	c, ok := h.eps[ep]
	if !ok {
		return gattChar{}, fmt.Errorf("bluetooth %s: endpoint %s: %w", describe(h.adv), ep, comm.ErrUnknownEndpoint)
	}
	return c, nil
}

// fail explains err of an operation on ep; once the link is gone every
// failure is a disconnect.
func (h *hardware) fail(op string, ep comm.Endpoint, err error) error {
	select {
	case <-h.l.lost():
		if !errors.Is(err, comm.ErrDisconnected) {
			return fmt.Errorf("bluetooth %s: %s %s: %w (%v)", describe(h.adv), op, ep, comm.ErrDisconnected, err)
		}
	default:
	}
	return fmt.Errorf("bluetooth %s: %s %s: %w", describe(h.adv), op, ep, err)
}

func (h *hardware) Write(ctx context.Context, ep comm.Endpoint, data []byte, withResponse bool) error {
	c, err := h.char(ep)
	if err != nil {
		return err
	}
	if err := h.l.write(ctx, c, data, withResponse); err != nil {
		return h.fail("write", ep, err)
	}
	return nil
}

func (h *hardware) Read(ctx context.Context, ep comm.Endpoint, length int) ([]byte, error) {
	c, err := h.char(ep)
	if err != nil {
		return nil, err
	}
	data, err := h.l.read(ctx, c)
	if err != nil {
		return nil, h.fail("read", ep, err)
	}
	return data, nil
}

func (h *hardware) Subscribe(ctx context.Context, ep comm.Endpoint) error {
	c, err := h.char(ep)
	if err != nil {
		return err
	}
	if err := h.l.subscribe(ctx, c, func(data []byte) { h.deliver(ep, data) }); err != nil {
		return h.fail("subscribe", ep, err)
	}
	return nil
}

func (h *hardware) Unsubscribe(ctx context.Context, ep comm.Endpoint) error {
	c, err := h.char(ep)
	if err != nil {
		return err
	}
	if err := h.l.unsubscribe(ctx, c); err != nil {
		return h.fail("unsubscribe", ep, err)
	}
	return nil
}

// deliver queues a notification without blocking the radio.
func (h *hardware) deliver(ep comm.Endpoint, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return
	}
	select {
	case h.notes <- comm.Notification{Endpoint: ep, Data: append([]byte(nil), data...)}:
	default:
		h.dropped++
	}
}

// Disconnect drops the link and waits until Notifications is closed.
func (h *hardware) Disconnect() error {
	err := h.l.disconnect()
	<-h.gone
	return err
}
