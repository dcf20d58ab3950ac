package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/server"
)

// squatter opens connections that never say a word, in a loop (one every
// pause, taking turns among open), holding at most hold of them (closing
// the oldest), until stop: a client reconnecting in a loop, or web pages
// that opened a websocket and went quiet.
type squatter struct {
	open  []func(context.Context) (io.Closer, error)
	hold  int
	pause time.Duration

	mu     sync.Mutex
	opened int
	more   chan struct{} // closed and replaced at each connection opened
}

// run opens connections until ctx ends or max were opened; it closes them
// all before it returns.
func (s *squatter) run(ctx context.Context, max int) {
	var held []io.Closer
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < max && ctx.Err() == nil; i++ {
		c, err := s.open[i%len(s.open)](ctx)
		if err != nil {
			continue
		}
		held = append(held, c)
		if len(held) > s.hold {
			held[0].Close()
			held = held[1:]
		}
		s.mu.Lock()
		s.opened++
		close(s.more)
		s.more = make(chan struct{})
		s.mu.Unlock()
		time.Sleep(s.pause)
	}
}

func (s *squatter) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// await waits until n more connections were opened.
func (s *squatter) await(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	s.mu.Lock()
	want := s.opened + n
	s.mu.Unlock()
	for {
		s.mu.Lock()
		opened, more := s.opened, s.more
		s.mu.Unlock()
		if opened >= want {
			return
		}
		select {
		case <-more:
		case <-ctx.Done():
			t.Fatalf("the squatter opened %d connections, not %d", opened, want)
		}
	}
}

// Silent connections, opened and held in a loop, never keep a real client
// out: only a handshake takes the server. Before, each took the one
// session slot for up to the 10 s handshake timeout and the real client
// was refused ERROR_INIT every time.
func TestSilentConnectionsDoNotLockOut(t *testing.T) {
	r := newRig(t, rigOpts{})
	sd := r.connected("Lovense Hush")
	ls := serve(t, r.srv, "ws://127.0.0.1:0", "tcp://127.0.0.1:0", "unix://"+socketPath(t))
	silent := []func(context.Context) (io.Closer, error){
		func(ctx context.Context) (io.Closer, error) {
			c := r.srv.Connector()
			return c, c.Connect(ctx)
		},
	}
	for _, l := range ls {
		scheme, addr, _ := strings.Cut(l.URL(), "://")
		if scheme == "ws" {
			url := l.URL()
			silent = append(silent, func(ctx context.Context) (io.Closer, error) {
				ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
				if err != nil {
					return nil, err
				}
				return ws, nil
			})
			continue
		}
		silent = append(silent, func(ctx context.Context) (io.Closer, error) {
			var d net.Dialer
			return d.DialContext(ctx, scheme, addr)
		})
	}
	// Each silent connection lives hold×pause, longer than the moment a
	// handshake waits for a session in its way to end.
	sq := &squatter{open: silent, hold: 16, pause: 40 * time.Millisecond, more: make(chan struct{})}
	sqCtx, stop := context.WithCancel(ctxT(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		sq.run(sqCtx, 5000)
	}()
	defer func() {
		stop()
		<-done
	}()
	sq.await(t, sqCtx, sq.hold)
	const attempts = 4
	for _, l := range ls {
		t.Run(strings.SplitN(l.URL(), ":", 2)[0], func(t *testing.T) {
			ctx := ctxT(t)
			served := 0
			for i := range attempts {
				// A silent connection arrived since the last session
				// ended: before, it would have held the server.
				sq.await(t, ctx, 2)
				c := client.New("real")
				if err := c.Connect(ctx, dialer(t, l.URL())); err != nil {
					t.Errorf("attempt %d: %v", i+1, err)
					continue
				}
				devs := c.Devices()
				if len(devs) != 1 {
					t.Errorf("attempt %d: devices %v", i+1, devs)
				} else if err := devs[0].Vibrate(ctx, client.Steps(5)); err != nil {
					t.Errorf("attempt %d: vibrate: %v", i+1, err)
				} else {
					served++
				}
				if err := c.Disconnect(ctx); err != nil {
					t.Errorf("attempt %d: disconnect: %v", i+1, err)
				}
				lastWrite(t, sd, "Vibrate:0;")
			}
			t.Logf("%d of %d attempts served while %d silent connections were opened", served, attempts, sq.count())
			if served != attempts {
				t.Fatalf("%d of %d attempts served", served, attempts)
			}
		})
	}
}

// More silent connections than WithMaxPending allows: the oldest is
// dropped (ErrCrowded), the newest stay, and a client that says hello is
// served.
func TestPendingConnectionsBounded(t *testing.T) {
	r := newRig(t, rigOpts{server: []server.Option{server.WithMaxPending(3)}})
	ctx := ctxT(t)
	// Each connection is known to be waiting once it answered a message.
	answers := func(i int, c *server.InProcess) {
		t.Helper()
		raw := &raw{t: t, c: c}
		raw.send(`[{"Ping":{"Id":7}}]`)
		if e := raw.expectError(7, 1); !strings.Contains(e.Message, "RequestServerInfo expected") {
			t.Fatalf("connection %d: %+v", i+1, e)
		}
	}
	var quiet []*server.InProcess
	for i := range 4 {
		c := r.srv.Connector()
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		answers(i, c)
		quiet = append(quiet, c)
	}
	if _, err := quiet[0].Recv(ctx); !errors.Is(err, connector.ErrDisconnected) {
		t.Fatalf("the oldest silent connection: %v", err)
	}
	if e := r.sessionEvent(server.SessionRefused, 1); !errors.Is(e.Err, server.ErrCrowded) {
		t.Fatalf("refusal: %v", e.Err)
	}
	// The three newest are still open.
	for i, c := range quiet[1:] {
		answers(i+1, c)
	}
	c := client.New("real")
	if err := c.Connect(ctx, r.srv.Connector()); err != nil {
		t.Fatalf("a real client beside silent ones: %v", err)
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
}

// A connection that closes before its handshake, while a client drives a
// toy, is no session end: the toy keeps going and the first SessionEnded
// is the real client's.
func TestSilentConnectionEndIsNoSessionEnd(t *testing.T) {
	r := newRig(t, rigOpts{})
	sd := r.connected("Lovense Hush")
	ctx := ctxT(t)
	c := client.New("real")
	if err := c.Connect(ctx, r.srv.Connector()); err != nil {
		t.Fatal(err)
	}
	if err := c.Devices()[0].Vibrate(ctx, client.Steps(7)); err != nil {
		t.Fatal(err)
	}
	quiet := r.srv.Connector()
	if err := quiet.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	q := &raw{t: t, c: quiet}
	q.send(`[{"Ping":{"Id":7}}]`)
	q.expectError(7, 1)
	quiet.Close() // returns once the server is done with it
	lastWrite(t, sd, "Vibrate:7;")
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if e := r.sessionEvent(server.SessionEnded, 1); e.Client != "real" {
		t.Fatalf("first session end: %+v", e)
	}
	lastWrite(t, sd, "Vibrate:0;")
}
