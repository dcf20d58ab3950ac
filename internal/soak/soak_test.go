//go:build linux

// Package soak runs the server for a long while under clients that come
// and go — our Go client, the npm Buttplug clients, and the bphost CLI
// through each connector plugin — with a client, a plugin or the host
// killed (SIGKILL) or frozen (SIGSTOP) at random points, and checks the
// safety rule at every session end: no device left moving. It runs for
// SOAK (`make soak`, 10m by default there), or 30 s as a smoke without it
// (skipped with -short).
package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/core/server/listen"
)

// tally follows the devices of one server: which motors move, and whether
// each session end found them stopped.
type tally struct {
	mu                 sync.Mutex
	moving             map[string]bool // device and motor: its last write was not a stop
	sessions, refused  int
	writes, stopMissed int
}

func newTally() *tally { return &tally{moving: map[string]bool{}} }

// write notes a write of data to dev.
func (t *tally) write(dev string, data []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	// Lovense commands: "Vibrate:7;", "Vibrate1:0;" (one motor of several).
	for _, cmd := range strings.Split(string(data), ";") {
		name, level, ok := strings.Cut(cmd, ":")
		if ok && strings.HasPrefix(name, "Vibrate") {
			t.moving[dev+" "+name] = level != "0"
		}
	}
}

// stillMoving lists the motors whose last write was not a stop.
func (t *tally) stillMoving() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var m []string
	for dev, on := range t.moving {
		if on {
			m = append(m, dev)
		}
	}
	sort.Strings(m)
	return m
}

// session is the server's session observer: a session's end must find
// every motor stopped (the server stops them before it reports the end).
func (t *tally) session(e server.SessionEvent) {
	switch e.Kind {
	case server.SessionEnded:
		moving := t.stillMoving()
		t.mu.Lock()
		t.sessions++
		t.stopMissed += len(moving)
		t.mu.Unlock()
		for _, dev := range moving {
			fmt.Fprintf(os.Stderr, "STOP MISSED: %s still moving after a session ended (%v)\n", dev, e.Err)
		}
	case server.SessionRefused:
		t.mu.Lock()
		t.refused++
		t.mu.Unlock()
	}
}

// rig is one server the soak runs: the same assembly as `bphost serve`
// (core/embedded behind core/server/listen) with two simulated toys.
type rig struct {
	tally *tally
	urls  map[string]string // by scheme: ws, tcp, unix
}

func startRig(t *testing.T, ctx context.Context, opts []server.Option, listenURLs ...string) *rig {
	t.Helper()
	r := &rig{tally: newTally(), urls: map[string]string{}}
	srv, err := embedded.New(embedded.Config{
		Simulate: []string{"Lovense Hush", "Lovense Edge"},
		Server:   append(opts, server.WithSessionObserver(r.tally.session)),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, sd := range srv.Simulated.Devices() {
		name := sd.Name()
		sd.OnRecord(func(rec simulated.Record) {
			if rec.Kind == simulated.RecordWrite {
				r.tally.write(name, rec.Data)
			}
		})
	}
	// The devices are found once, before any client: each session starts
	// with them.
	if err := srv.Devices.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	for found := time.Now().Add(20 * time.Second); len(srv.Devices.Devices()) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(found) {
			t.Fatalf("devices %d", len(srv.Devices.Devices()))
		}
	}
	var ls []*listen.Listener
	for _, u := range listenURLs {
		l, err := listen.Listen(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		scheme, _, _ := strings.Cut(l.URL(), "://")
		r.urls[scheme] = l.URL()
	}
	served := make(chan error, 1)
	go func() { served <- listen.Serve(ctx, srv.Server, ls...) }()
	t.Cleanup(func() {
		if err := <-served; err != nil && ctx.Err() == nil {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
	})
	return r
}

// stats is what the whole soak saw, over every scenario.
type stats struct {
	mu             sync.Mutex
	runs           map[string]int // by scenario
	faults         map[string]int // by kind and target
	embedded       *tally         // the embedded plugin's devices, over every run
	diedWithPlugin int            // motors moving when their (embedded) plugin got SIGKILL
	outlived       int
	cutStreams     int // embedded record streams cut short though the soak did not kill the plugin
	hungKilled     int // plugins the host's watchdog killed
	panics         int
	peakChildRSS   int64
	peakGoroutines int
	errs           []string
}

func (s *stats) add(sc string, o outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[sc]++
	s.faults[o.fault]++
	if o.outlived {
		s.outlived++
	}
	s.panics += o.panics
	if o.hungKilled {
		s.hungKilled++
	}
	s.peakChildRSS = max(s.peakChildRSS, o.maxRSS)
	s.peakGoroutines = max(s.peakGoroutines, runtime.NumGoroutine())
}

func (s *stats) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) < 20 {
		s.errs = append(s.errs, fmt.Sprintf(format, args...))
	}
}

// smokeDuration is the soak's length in `make test` (no SOAK set).
const smokeDuration = 30 * time.Second

func TestSoak(t *testing.T) {
	dur := smokeDuration
	full := false
	if d := os.Getenv("SOAK"); d != "" {
		var err error
		if dur, err = time.ParseDuration(d); err != nil {
			t.Fatalf("SOAK=%q: %v", d, err)
		}
		full = true
	} else if testing.Short() {
		t.Skip("the soak smoke starts processes for 30 s; skipped with -short (SOAK=10m runs the soak)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer killAll()
	dir, err := os.MkdirTemp("", "bpsoak")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Our Go client and the bphost CLI ping (frozen ones end in 1 s);
	// the npm clients never do, so they get a server of their own.
	pinged := startRig(t, ctx, []server.Option{server.WithMaxPingTime(time.Second)},
		"ws://127.0.0.1:0", "tcp://127.0.0.1:0", "unix://"+filepath.Join(dir, "s"))
	npm := startRig(t, ctx, nil, "ws://127.0.0.1:0")
	st := &stats{runs: map[string]int{}, faults: map[string]int{}, embedded: newTally()}
	scs, skipped := scenarios(t, dir, pinged, npm, st)
	for _, s := range skipped {
		t.Logf("skipped: %s", s)
	}
	if full && len(skipped) > 0 {
		t.Errorf("the soak needs every scenario: %d skipped", len(skipped))
	}
	base := runtime.NumGoroutine()

	deadline := time.Now().Add(dur)
	const parallel = 3
	var wg sync.WaitGroup
	for w := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i++ {
				sc := scs[i%len(scs)]
				o, err := sc.run()
				if err != nil {
					st.fail("%s: %v", sc.name, err)
					time.Sleep(time.Second)
					continue
				}
				st.add(sc.name, o)
			}
		}()
	}
	wg.Wait()

	// Every client is gone: goroutines come back to where they were.
	settle := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > base+10 && time.Now().Before(settle) {
		time.Sleep(100 * time.Millisecond)
	}
	left := runtime.NumGoroutine()
	st.mu.Lock()
	defer st.mu.Unlock()
	var sessions, refused, writes, missed int
	for _, tl := range []*tally{pinged.tally, npm.tally, st.embedded} {
		tl.mu.Lock()
		sessions += tl.sessions
		refused += tl.refused
		writes += tl.writes
		missed += tl.stopMissed
		tl.mu.Unlock()
	}
	faults := 0
	for k, n := range st.faults {
		if k != "none" {
			faults += n
		}
	}
	t.Logf("soak %v: %d sessions (%d refused while another had the server), %d device commands, runs %v",
		dur, sessions, refused, writes, st.runs)
	t.Logf("faults injected: %d, %v", faults, st.faults)
	t.Logf("stops missed %d; frozen plugins the host's watchdog killed %d; motors moving when their embedded plugin was killed (died with it) %d; processes outliving their host %d; record streams cut short %d; panics %d",
		missed, st.hungKilled, st.diedWithPlugin, st.outlived, st.cutStreams, st.panics)
	t.Logf("goroutines %d at start, peak %d, %d at the end; peak RSS: server (this process) %d kB, largest client, host or plugin process %d kB",
		base, st.peakGoroutines, left, vmHWM(os.Getpid()), st.peakChildRSS)
	for _, e := range st.errs {
		t.Error(e)
	}
	if missed != 0 {
		t.Errorf("%d stops missed", missed)
	}
	if st.panics != 0 {
		t.Errorf("%d panics in client, host or plugin processes", st.panics)
	}
	if left > base+10 {
		t.Errorf("goroutines: %d at start, %d after every client left", base, left)
	}
	if sessions == 0 {
		t.Error("no session ran")
	}
	if !full {
		return
	}
	if writes == 0 {
		t.Error("no device was written to")
	}
	if st.outlived != 0 {
		t.Errorf("%d runs left a process running 5 s after their host exited", st.outlived)
	}
	for _, tl := range []*tally{pinged.tally, npm.tally} {
		for _, dev := range tl.stillMoving() {
			t.Errorf("%s moving at the end", dev)
		}
	}
}
