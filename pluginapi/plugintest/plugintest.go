// Package plugintest is the conformance kit for bphost connector plugins.
// A transport author runs it from their own go test: given a way to start
// the plugin (in process, or a built binary) and a peer to talk to, Run
// checks the transport through the whole plugin path, host side included:
//
//   - the description is valid;
//   - frames arrive whole and in order both ways, up to large sizes (1 MiB
//     and more);
//   - concurrent senders lose nothing and keep each sender's order;
//   - a close from the host delivers what was sent, then ends the peer's
//     session; a close from the peer delivers what it sent, then ends the
//     host's session with connector.ErrPeerClosed;
//   - a missing server is reported as connector.ErrServerAbsent, bad options
//     as pluginapi.ErrInvalidOptions;
//   - a connector opens again after Close;
//   - every error says what happened and carries its cause.
//
// A typical test:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, plugintest.Config{
//			Start:   plugintest.InProcess(myTransport{}),
//			NewPeer: func(t testing.TB) plugintest.Peer { return plugintest.LinePeer(t) },
//		})
//	}
//
// and the same with Start: plugintest.Binary(plugintest.Build(t, ".", "mine"), ...)
// to run the built plugin.
package plugintest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/hashicorp/go-hclog"
)

// Config says what to check.
type Config struct {
	// Start starts the plugin under test (InProcess or Binary). Run starts
	// it once; every check uses it.
	Start StartFunc
	// NewPeer starts a fresh peer; each check starts its own.
	NewPeer func(t testing.TB) Peer
	// LargeFrame is the size of the large frames sent both ways; 0 means
	// 1 MiB. It must not exceed the transport's limit.
	LargeFrame int
	// Timeout bounds each check; 0 means 30 s.
	Timeout time.Duration
}

// Run runs every check as a subtest of t.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	if cfg.Start == nil || cfg.NewPeer == nil {
		t.Fatal("plugintest.Config needs Start and NewPeer")
	}
	if cfg.LargeFrame == 0 {
		cfg.LargeFrame = 1 << 20
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	k := &kit{cfg: cfg, plugin: cfg.Start(t)}
	for _, c := range []struct {
		name string
		run  func(t *testing.T, ctx context.Context)
	}{
		{"Describe", k.describe},
		{"FramesBothWays", k.framesBothWays},
		{"LargeFrames", k.largeFrames},
		{"ConcurrentSenders", k.concurrentSenders},
		{"CloseFromHost", k.closeFromHost},
		{"CloseFromPeer", k.closeFromPeer},
		{"ServerAbsent", k.serverAbsent},
		{"InvalidOptions", k.invalidOptions},
		{"ReopenAfterClose", k.reopenAfterClose},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
			defer cancel()
			c.run(t, ctx)
		})
	}
}

type kit struct {
	cfg    Config
	plugin *host.Plugin
}

// session is an open host connector and the peer's end of it.
type session struct {
	host *host.Connector
	peer connector.Connector
}

// open starts a peer and connects to it.
func (k *kit) open(t *testing.T, ctx context.Context) (Peer, session) {
	t.Helper()
	peer := k.cfg.NewPeer(t)
	t.Cleanup(func() { peer.Close() })
	return peer, k.connect(t, ctx, peer, k.plugin.Connector(peer.Options()))
}

// connect opens host to peer and accepts the session there.
func (k *kit) connect(t *testing.T, ctx context.Context, peer Peer, host *host.Connector) session {
	t.Helper()
	if err := host.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { host.Close() })
	end, err := peer.Accept(ctx)
	if err != nil {
		t.Fatalf("peer Accept: %v", err)
	}
	return session{host: host, peer: end}
}

func (k *kit) describe(t *testing.T, _ context.Context) {
	d := k.plugin.Description()
	if d.Name == "" || d.Version == "" {
		t.Errorf("description has name %q, version %q: both are needed", d.Name, d.Version)
	}
	if d.ContractVersion != pluginapi.ContractVersion {
		t.Errorf("contract version %d, want %d", d.ContractVersion, pluginapi.ContractVersion)
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
	for _, o := range d.Options {
		if o.Help == "" {
			t.Errorf("option %q has no help text", o.Name)
		}
	}
}

func (k *kit) framesBothWays(t *testing.T, ctx context.Context) {
	_, s := k.open(t, ctx)
	const n = 50
	for i := range n {
		mustSend(t, ctx, s.host, Frame("host", i, 20+i*7))
	}
	for i := range n {
		expect(t, ctx, s.peer, Frame("host", i, 20+i*7), "peer")
	}
	for i := range n {
		mustSend(t, ctx, s.peer, Frame("peer", i, 20+i*11))
	}
	for i := range n {
		expect(t, ctx, s.host, Frame("peer", i, 20+i*11), "host")
	}
	// Interleaved: a request/answer exchange.
	for i := range 10 {
		mustSend(t, ctx, s.host, Frame("ping", i, 32))
		expect(t, ctx, s.peer, Frame("ping", i, 32), "peer")
		mustSend(t, ctx, s.peer, Frame("pong", i, 32))
		expect(t, ctx, s.host, Frame("pong", i, 32), "host")
	}
}

func (k *kit) largeFrames(t *testing.T, ctx context.Context) {
	_, s := k.open(t, ctx)
	sizes := []int{64 << 10, k.cfg.LargeFrame, k.cfg.LargeFrame - 1, 100}
	for i, size := range sizes {
		mustSend(t, ctx, s.host, Frame("big-up", i, size))
	}
	for i, size := range sizes {
		expect(t, ctx, s.peer, Frame("big-up", i, size), "peer")
	}
	for i, size := range sizes {
		mustSend(t, ctx, s.peer, Frame("big-down", i, size))
	}
	for i, size := range sizes {
		expect(t, ctx, s.host, Frame("big-down", i, size), "host")
	}
}

func (k *kit) concurrentSenders(t *testing.T, ctx context.Context) {
	_, s := k.open(t, ctx)
	const senders, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				if err := s.host.Send(ctx, Frame(fmt.Sprint("sender", g), i, 40+g*13)); err != nil {
					errs <- fmt.Errorf("sender %d frame %d: %w", g, i, err)
					return
				}
			}
		})
	}
	next := make([]int, senders)
	for range senders * each {
		f, err := s.peer.Recv(ctx)
		if err != nil {
			t.Fatalf("peer Recv after %v frames: %v", next, err)
		}
		tag, i, err := ParseFrame(f)
		var g int
		if err == nil {
			_, err = fmt.Sscanf(tag, "sender%d", &g)
		}
		if err != nil || g < 0 || g >= senders {
			t.Fatalf("peer received a frame no sender sent (%v): %.80q", err, f)
		}
		if i != next[g] {
			t.Fatalf("sender %d: frame %d arrived when %d was due: order lost", g, i, next[g])
		}
		if want := Frame(tag, i, 40+g*13); string(f) != string(want) {
			t.Fatalf("sender %d frame %d arrived altered", g, i)
		}
		next[g]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func (k *kit) closeFromHost(t *testing.T, ctx context.Context) {
	_, s := k.open(t, ctx)
	const n = 10
	for i := range n {
		mustSend(t, ctx, s.host, Frame("last", i, 64))
	}
	if err := s.host.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i := range n {
		expect(t, ctx, s.peer, Frame("last", i, 64), "peer (frames sent before Close)")
	}
	if _, err := s.peer.Recv(ctx); !errors.Is(err, connector.ErrDisconnected) {
		t.Errorf("peer Recv after the host closed: %v; want the session to end", err)
	}
	err := s.host.Send(ctx, Frame("late", 0, 10))
	mustDisconnect(t, "host Send after Close", err, connector.ErrClosed)
	_, err = s.host.Recv(ctx)
	mustDisconnect(t, "host Recv after Close", err, connector.ErrClosed)
	if err := s.host.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func (k *kit) closeFromPeer(t *testing.T, ctx context.Context) {
	_, s := k.open(t, ctx)
	const n = 5
	for i := range n {
		mustSend(t, ctx, s.peer, Frame("bye", i, 64))
	}
	if err := s.peer.Close(); err != nil {
		t.Fatalf("peer Close: %v", err)
	}
	for i := range n {
		expect(t, ctx, s.host, Frame("bye", i, 64), "host (frames sent before the peer closed)")
	}
	_, err := s.host.Recv(ctx)
	mustDisconnect(t, "host Recv after the peer closed", err, connector.ErrPeerClosed)
	err = s.host.Send(ctx, Frame("late", 0, 10))
	mustDisconnect(t, "host Send after the peer closed", err, connector.ErrPeerClosed)
}

func (k *kit) serverAbsent(t *testing.T, ctx context.Context) {
	peer := k.cfg.NewPeer(t)
	opts := peer.Options()
	if err := peer.Close(); err != nil {
		t.Fatalf("peer Close: %v", err)
	}
	host := k.plugin.Connector(opts)
	err := host.Connect(ctx)
	if err == nil {
		host.Close()
		t.Fatal("Connect to a closed peer succeeded")
	}
	if !errors.Is(err, connector.ErrServerAbsent) {
		t.Fatalf("Connect to a closed peer: %v; want an error wrapping connector.ErrServerAbsent", err)
	}
	mustSay(t, err)
	if err := host.Send(ctx, Frame("x", 0, 10)); !errors.Is(err, connector.ErrNotConnected) {
		t.Errorf("Send after a failed Connect: %v, want connector.ErrNotConnected", err)
	}
}

func (k *kit) invalidOptions(t *testing.T, ctx context.Context) {
	peer := k.cfg.NewPeer(t)
	t.Cleanup(func() { peer.Close() })
	opts := maps.Clone(peer.Options())
	opts["plugintest-no-such-option"] = "1"
	err := k.plugin.Connector(opts).Connect(ctx)
	if !errors.Is(err, pluginapi.ErrInvalidOptions) {
		t.Fatalf("Connect with an unknown option: %v; want an error wrapping pluginapi.ErrInvalidOptions", err)
	}
	if !strings.Contains(err.Error(), "plugintest-no-such-option") {
		t.Errorf("error %q does not name the unknown option", err)
	}
}

func (k *kit) reopenAfterClose(t *testing.T, ctx context.Context) {
	peer, s := k.open(t, ctx)
	for round := range 3 {
		if round > 0 {
			s = k.connect(t, ctx, peer, s.host)
		}
		mustSend(t, ctx, s.host, Frame("round-up", round, 50))
		expect(t, ctx, s.peer, Frame("round-up", round, 50), "peer")
		mustSend(t, ctx, s.peer, Frame("round-down", round, 50))
		expect(t, ctx, s.host, Frame("round-down", round, 50), "host")
		if err := s.host.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		if _, err := s.peer.Recv(ctx); !errors.Is(err, connector.ErrDisconnected) {
			t.Errorf("round %d: peer Recv after Close: %v; want the session to end", round, err)
		}
	}
}

func mustSend(t *testing.T, ctx context.Context, c connector.Connector, f []byte) {
	t.Helper()
	if err := c.Send(ctx, f); err != nil {
		t.Fatalf("Send %.60q: %v", f, err)
	}
}

// expect receives one frame on c and compares it with want.
func expect(t *testing.T, ctx context.Context, c connector.Connector, want []byte, who string) {
	t.Helper()
	got, err := c.Recv(ctx)
	if err != nil {
		t.Fatalf("%s Recv, waiting for %.60q: %v", who, want, err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s received %d bytes %.60q..., want %d bytes %.60q...", who, len(got), got, len(want), want)
	}
}

// mustDisconnect checks that err, from the host side, reports the end of a
// session with a cause (cause itself, when not nil) and says what happened.
func mustDisconnect(t *testing.T, what string, err error, cause error) {
	t.Helper()
	if !errors.Is(err, connector.ErrDisconnected) {
		t.Errorf("%s: %v; want an error wrapping connector.ErrDisconnected", what, err)
		return
	}
	var de *connector.DisconnectError
	if !errors.As(err, &de) || de.Cause == nil {
		t.Errorf("%s: %v carries no cause", what, err)
		return
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Errorf("%s: %v; want the cause %v", what, err, cause)
	}
	mustSay(t, err)
}

// mustSay checks that an error's text says more than its sentinel.
func mustSay(t *testing.T, err error) {
	t.Helper()
	for _, bare := range []error{connector.ErrDisconnected, connector.ErrServerAbsent, connector.ErrPeerClosed, connector.Disconnected(nil)} {
		if err.Error() == bare.Error() {
			t.Errorf("error %q says only its kind, not what happened to what", err)
		}
	}
}

// testLogger logs at Info (PLUGINTEST_LOG=debug for more) to t, and drops
// what arrives after the test.
func testLogger(t testing.TB) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	level := hclog.Info
	if l := os.Getenv("PLUGINTEST_LOG"); l != "" {
		level = hclog.LevelFromString(l)
	}
	return hclog.New(&hclog.LoggerOptions{Name: "host", Level: level, Output: w})
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
