package client

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

// manualTicker is a ticker the test drives.
type manualTicker struct {
	c       chan time.Time
	stopped chan struct{}
	once    sync.Once
}

func (m *manualTicker) C() <-chan time.Time { return m.c }

// tick fires the ticker, failing rather than hanging when the ping loop is
// no longer there to take it.
func (m *manualTicker) tick(t *testing.T, h *harness) {
	t.Helper()
	select {
	case m.c <- time.Now():
	case <-m.stopped:
		t.Fatal("tick after the ping loop stopped")
	case <-h.ctx.Done():
		t.Fatal("ping loop did not take the tick")
	}
}
func (m *manualTicker) Stop() { m.once.Do(func() { close(m.stopped) }) }

// tickers records the ping intervals the client asked for and hands out
// manual tickers.
type tickers struct {
	mu        sync.Mutex
	intervals []time.Duration
	made      chan *manualTicker
}

func installTickers(c *Client) *tickers {
	ts := &tickers{made: make(chan *manualTicker, 4)}
	c.newTicker = func(d time.Duration) ticker {
		m := &manualTicker{c: make(chan time.Time), stopped: make(chan struct{})}
		ts.mu.Lock()
		ts.intervals = append(ts.intervals, d)
		ts.mu.Unlock()
		ts.made <- m
		return m
	}
	return ts
}

func (ts *tickers) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.intervals)
}

func TestPingSchedule(t *testing.T) {
	// The interval is also how long a ping may wait for its Ok; a long one
	// keeps a loaded machine from failing pings the test expects to pass.
	h := newHarness(t, fakeserver.Config{MaxPingTime: 20000})
	ts := installTickers(h.c)
	h.connect()
	var tk *manualTicker
	select {
	case tk = <-ts.made:
	case <-h.ctx.Done():
		t.Fatal("no ping ticker")
	}
	deepEqual(t, "ping intervals", ts.intervals, []time.Duration{10 * time.Second})
	var last uint32
	for range 3 {
		tk.tick(t, h)
		last = h.expect(`[{"Ping":{"Id":*}}]`).Msgs[0].MessageID()
	}

	// A refused ping is reported, then the client disconnects. Only pings
	// after the third are refused: the fake may answer the third after the
	// handler changed.
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(*protocol.Ping); ok && m.MessageID() != last {
			return []protocol.Message{protocol.NewError(m.MessageID(), protocol.ErrorPing, "PingedOut")}, true
		}
		return nil, false
	})
	tk.tick(t, h)
	h.expect(`[{"Ping":{"Id":*}}]`)
	pf := skipUntil[PingFailed](t, h.ctx, h.events)
	if code, ok := protocol.CodeOf(pf.Err); !ok || code != protocol.ErrorPing {
		t.Errorf("PingFailed.Err = %v", pf.Err)
	}
	ev := expectSessionEnd(t, h, nil, ErrPingFailed)
	if code, _ := protocol.CodeOf(ev.Err); code != protocol.ErrorPing {
		t.Errorf("Disconnected.Err = %v, want the ping's Error inside", ev.Err)
	}
	select {
	case <-tk.stopped:
	case <-h.ctx.Done():
		t.Error("ticker not stopped")
	}
}

func TestPingUnanswered(t *testing.T) {
	h := newHarness(t, fakeserver.Config{MaxPingTime: 60})
	ts := installTickers(h.c)
	h.connect()
	tk := <-ts.made
	withhold[*protocol.Ping](h.sess)
	tk.tick(t, h)
	pf := skipUntil[PingFailed](t, h.ctx, h.events)
	if !errors.Is(pf.Err, ErrTimeout) {
		t.Errorf("PingFailed.Err = %v, want ErrTimeout", pf.Err)
	}
	expectSessionEnd(t, h, nil, ErrTimeout)
}

func TestNoPing(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  fakeserver.Config
		opts []Option
	}{
		{"MaxPingTime 0", fakeserver.Config{MaxPingTime: 0}, nil},
		{"disabled", fakeserver.Config{MaxPingTime: 100}, []Option{WithPing(false)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg, tt.opts...)
			ts := installTickers(h.c)
			h.connect()
			if err := h.c.StopScanning(h.ctx); err != nil {
				t.Fatal(err)
			}
			h.expect(`[{"StopScanning":{"Id":*}}]`)
			h.expectNothingSent()
			if n := ts.count(); n != 0 {
				t.Errorf("%d ping tickers started", n)
			}
		})
	}
}

// With the real ticker, pings keep coming while connected.
func TestPingRealTicker(t *testing.T) {
	// A second between pings, each with as long to be answered: enough on a
	// loaded machine, where a shorter limit fails pings the test expects to
	// pass.
	h := start(t, fakeserver.Config{MaxPingTime: 2000})
	for range 2 {
		h.expect(`[{"Ping":{"Id":*}}]`)
	}
	if !h.c.Connected() {
		t.Error("disconnected while pinging")
	}
}
