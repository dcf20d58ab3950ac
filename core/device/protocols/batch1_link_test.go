package protocols

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// b1Op is one operation a protocol made on a b1Link, or one command a
// handler returned.
type b1Op struct {
	Kind         string // "write", "subscribe", "read"
	Endpoint     comm.Endpoint
	Data         []byte
	WithResponse bool
}

func (o b1Op) String() string {
	s := fmt.Sprintf("%s %s", o.Kind, o.Endpoint)
	if o.Kind == "write" {
		s += fmt.Sprintf(" % x", o.Data)
		if o.WithResponse {
			s += " (with response)"
		}
	}
	return s
}

func b1Write(ep comm.Endpoint, withResponse bool, data ...byte) b1Op {
	return b1Op{Kind: "write", Endpoint: ep, Data: data, WithResponse: withResponse}
}

func b1Sub(ep comm.Endpoint) b1Op { return b1Op{Kind: "subscribe", Endpoint: ep} }

func (o b1Op) equal(p b1Op) bool {
	return o.Kind == p.Kind && o.Endpoint == p.Endpoint && bytes.Equal(o.Data, p.Data) && o.WithResponse == p.WithResponse
}

// b1Link is a fake Link: it records every operation and answers writes
// and subscriptions with the notifications its functions return, like a
// device would.
type b1Link struct {
	name string
	// missing lists endpoints the device does not have.
	missing map[comm.Endpoint]bool
	// onWrite and onSubscribe return the notifications the device sends
	// in answer; reads answers reads.
	onWrite     func(ep comm.Endpoint, data []byte) []comm.Notification
	onSubscribe func(ep comm.Endpoint) []comm.Notification
	reads       map[comm.Endpoint][]byte
	// failWrite, when set, fails the writes it returns an error for; the
	// write is recorded all the same.
	failWrite func(ep comm.Endpoint, data []byte) error

	mu        sync.Mutex
	ops       []b1Op
	changed   chan struct{}
	listeners map[*b1Listener]bool
}

func newB1Link(name string) *b1Link {
	return &b1Link{name: name, changed: make(chan struct{}), listeners: map[*b1Listener]bool{}}
}

var _ Link = (*b1Link)(nil)

func (l *b1Link) Name() string                      { return l.name }
func (l *b1Link) Address() string                   { return "B1-ADDR" }
func (l *b1Link) Advertisement() comm.Advertisement { return comm.Advertisement{Name: l.name} }
func (l *b1Link) HasEndpoint(ep comm.Endpoint) bool { return !l.missing[ep] }

func (l *b1Link) record(op b1Op) {
	l.mu.Lock()
	defer l.mu.Unlock()
	op.Data = append([]byte(nil), op.Data...)
	l.ops = append(l.ops, op)
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *b1Link) notify(ns []comm.Notification) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range ns {
		for lis := range l.listeners {
			if lis.ep == n.Endpoint {
				lis.ch <- append([]byte(nil), n.Data...)
			}
		}
	}
}

func (l *b1Link) Write(ctx context.Context, ep comm.Endpoint, data []byte, withResponse bool) error {
	if l.missing[ep] {
		return fmt.Errorf("write %s: %w", ep, comm.ErrUnknownEndpoint)
	}
	l.record(b1Write(ep, withResponse, data...))
	if l.failWrite != nil {
		if err := l.failWrite(ep, data); err != nil {
			return err
		}
	}
	if l.onWrite != nil {
		l.notify(l.onWrite(ep, data))
	}
	return nil
}

func (l *b1Link) Read(_ context.Context, ep comm.Endpoint, _ int) ([]byte, error) {
	l.record(b1Op{Kind: "read", Endpoint: ep})
	b, ok := l.reads[ep]
	if !ok {
		return nil, errors.New("nothing to read")
	}
	return append([]byte(nil), b...), nil
}

func (l *b1Link) Subscribe(_ context.Context, ep comm.Endpoint) error {
	l.record(b1Sub(ep))
	if l.onSubscribe != nil {
		l.notify(l.onSubscribe(ep))
	}
	return nil
}

func (l *b1Link) Unsubscribe(_ context.Context, ep comm.Endpoint) error {
	l.record(b1Op{Kind: "unsubscribe", Endpoint: ep})
	return nil
}

func (l *b1Link) Listen(ep comm.Endpoint) Listener {
	lis := &b1Listener{l: l, ep: ep, ch: make(chan []byte, 64)}
	l.mu.Lock()
	l.listeners[lis] = true
	l.mu.Unlock()
	return lis
}

// Ops returns the operations so far.
func (l *b1Link) Ops() []b1Op {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]b1Op(nil), l.ops...)
}

// waitOps waits until at least n operations were made and returns them.
func (l *b1Link) waitOps(t *testing.T, n int, within time.Duration) []b1Op {
	t.Helper()
	deadline := time.After(within)
	for {
		l.mu.Lock()
		ops, ch := append([]b1Op(nil), l.ops...), l.changed
		l.mu.Unlock()
		if len(ops) >= n {
			return ops
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d operations after %v, want %d: %v", len(ops), within, n, ops)
		}
	}
}

type b1Listener struct {
	l  *b1Link
	ep comm.Endpoint
	ch chan []byte
}

func (lis *b1Listener) C() <-chan []byte { return lis.ch }

func (lis *b1Listener) Close() {
	lis.l.mu.Lock()
	delete(lis.l.listeners, lis)
	lis.l.mu.Unlock()
}

// b1Echo answers every write on rx with the written bytes.
func b1Echo(_ comm.Endpoint, data []byte) []comm.Notification {
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: append([]byte(nil), data...)}}
}

// b1Connect runs a protocol's identification and initialisation over link
// as the device manager does, checks the model it resolves to and the
// operations made, and returns the handler (closed at the end of the test).
func b1Connect(t *testing.T, proto string, link *b1Link, wantModel string, wantInit []b1Op) Handler {
	t.Helper()
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := Lookup(proto)
	if !ok {
		t.Fatalf("protocol %s not registered", proto)
	}
	p := f()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ident, err := p.Identify(ctx, link)
	if err != nil {
		t.Fatalf("identify: %v", err)
	}
	def, err := db.Resolve(proto, ident, link.Address())
	if err != nil {
		t.Fatalf("resolve %q: %v", ident, err)
	}
	if def.Name != wantModel {
		t.Fatalf("identified as %q (identifier %q), want %q", def.Name, ident, wantModel)
	}
	h, err := p.Init(ctx, link, def)
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	if c, ok := h.(Closer); ok {
		t.Cleanup(c.Close)
	}
	b1SameOps(t, "initialisation", link.Ops(), wantInit)
	return h
}

// b1Commands turns handler commands into operations.
func b1Commands(cmds []Command) []b1Op {
	var out []b1Op
	for _, c := range cmds {
		switch c.Kind {
		case CmdWrite:
			out = append(out, b1Write(c.Endpoint, c.WithResponse, c.Data...))
		case CmdSubscribe:
			out = append(out, b1Sub(c.Endpoint))
		default:
			out = append(out, b1Op{Kind: "unsubscribe", Endpoint: c.Endpoint})
		}
	}
	return out
}

func b1SameOps(t *testing.T, what string, got, want []b1Op) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].equal(want[i])
	}
	if !same {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// b1Step is one output and the commands the handler must return for it.
type b1Step struct {
	out  Output
	want []b1Op
}

func b1Run(t *testing.T, h Handler, steps []b1Step) {
	t.Helper()
	for _, st := range steps {
		cmds, err := h.Output(st.out)
		if err != nil {
			t.Errorf("%+v: %v", st.out, err)
			continue
		}
		b1SameOps(t, fmt.Sprintf("%s %d on feature %d (%d ms)", st.out.Type, st.out.Value, st.out.Feature, st.out.Duration), b1Commands(cmds), st.want)
	}
}
