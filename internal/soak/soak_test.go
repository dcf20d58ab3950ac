//go:build unix

// Package soak runs the server for a long while under clients that come
// and go, are killed (SIGKILL) or frozen (SIGSTOP) at random points, and
// checks the safety rule at every session end: no device left moving. It
// runs only when SOAK is set (`make soak`, SOAK=10m by default there).
package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/core/server/listen"
	"github.com/bphost/bphost/plugins/ipc/ipcconn"
	"github.com/bphost/bphost/plugins/tcp/tcpconn"
	"github.com/bphost/bphost/plugins/websocket/wsconn"
)

// clientEnv makes the test binary a soak client of the URL it names.
const clientEnv = "BPHOST_SOAK_CLIENT"

func TestMain(m *testing.M) {
	if u := os.Getenv(clientEnv); u != "" {
		os.Exit(runClient(u))
	}
	os.Exit(m.Run())
}

// runClient is one client process: sessions with pipelined commands until
// it is killed or has done a few; sometimes it leaves with Disconnect,
// sometimes by exiting with the toy moving.
func runClient(rawURL string) int {
	scheme, addr, _ := strings.Cut(rawURL, "://")
	var c connector.Connector
	var err error
	switch scheme {
	case "ws":
		c, err = wsconn.New(wsconn.Options{Address: rawURL})
	case "tcp":
		c, err = tcpconn.New(tcpconn.Options{Address: addr})
	case "unix":
		c, err = ipcconn.New(ipcconn.Options{Path: addr})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 1 + rand.IntN(3) {
		cl := client.New("soak")
		if err := cl.Connect(ctx, c); err != nil {
			time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
			continue // busy: another client has the server
		}
		devs := cl.Devices()
		var wg sync.WaitGroup
		for range 1 + rand.IntN(20) {
			for _, d := range devs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = d.Vibrate(ctx, client.Steps(int32(1+rand.IntN(19))))
				}()
			}
			time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		}
		wg.Wait()
		if rand.IntN(3) == 0 {
			os.Exit(0) // gone with the toy moving: the kernel closes the socket
		}
		_ = cl.Disconnect(ctx)
	}
	return 0
}

// tally is what the soak saw.
type tally struct {
	mu                 sync.Mutex
	moving             map[string]bool // device and motor: its last write was not a stop
	sessions, refused  int
	writes, stopMissed int
	faults             map[string]int
	peakGoroutines     int
}

func (t *tally) record(dev string, r simulated.Record) {
	if r.Kind != simulated.RecordWrite {
		return
	}
	w := string(r.Data)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writes++
	// Lovense commands: "Vibrate:7;", "Vibrate1:0;" (one motor of several).
	for _, cmd := range strings.Split(w, ";") {
		name, level, ok := strings.Cut(cmd, ":")
		if ok && strings.HasPrefix(name, "Vibrate") {
			t.moving[dev+" "+name] = level != "0"
		}
	}
}

func (t *tally) session(e server.SessionEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e.Kind {
	case server.SessionEnded:
		t.sessions++
		for dev, m := range t.moving {
			if m {
				t.stopMissed++
				fmt.Fprintf(os.Stderr, "STOP MISSED: %s still moving after a session ended (%v)\n", dev, e.Err)
			}
		}
	case server.SessionRefused:
		t.refused++
	}
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

func TestSoak(t *testing.T) {
	d := os.Getenv("SOAK")
	if d == "" {
		t.Skip("set SOAK (e.g. SOAK=10m, as `make soak` does) to run the soak")
	}
	dur, err := time.ParseDuration(d)
	if err != nil {
		t.Fatalf("SOAK=%q: %v", d, err)
	}
	tl := &tally{moving: map[string]bool{}, faults: map[string]int{}}
	srv, err := embedded.New(embedded.Config{
		Simulate: []string{"Lovense Hush", "Lovense Edge"},
		Server: []server.Option{
			server.WithSessionObserver(tl.session),
			server.WithMaxPingTime(time.Second), // frozen clients on tcp/unix end too
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, sd := range srv.Simulated.Devices() {
		name := sd.Name()
		sd.OnRecord(func(r simulated.Record) { tl.record(name, r) })
	}
	ctx, cancel := context.WithCancel(context.Background())
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
	dir, err := os.MkdirTemp("", "bpsoak")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var ls []*listen.Listener
	for _, u := range []string{"ws://127.0.0.1:0", "tcp://127.0.0.1:0", "unix://" + filepath.Join(dir, "s")} {
		l, err := listen.Listen(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	served := make(chan error, 1)
	go func() { served <- listen.Serve(ctx, srv.Server, ls...) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := runtime.NumGoroutine()

	deadline := time.Now().Add(dur)
	const parallel = 3
	var wg sync.WaitGroup
	for w := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				tl.fault(t, ls[(w+i)%len(ls)].URL())
				tl.mu.Lock()
				tl.peakGoroutines = max(tl.peakGoroutines, runtime.NumGoroutine())
				tl.mu.Unlock()
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
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.writes == 0 {
		t.Error("no device was written to")
	}
	t.Logf("soak %v: %d sessions, %d refused, %d device writes, faults %v, stops missed %d, goroutines %d at start, peak %d, %d at the end, peak RSS %s",
		dur, tl.sessions, tl.refused, tl.writes, tl.faults, tl.stopMissed, base, tl.peakGoroutines, left, peakRSS())
	if tl.stopMissed != 0 {
		t.Errorf("%d stops missed", tl.stopMissed)
	}
	if left > base+10 {
		t.Errorf("goroutines: %d at start, %d after every client left", base, left)
	}
	for dev, m := range tl.moving {
		if m {
			t.Errorf("%s moving at the end", dev)
		}
	}
	if tl.sessions == 0 {
		t.Error("no session ran")
	}
}

// fault runs one client process against url and, at a random point, does
// nothing, kills it, or freezes it and then kills or resumes it.
func (tl *tally) fault(t *testing.T, url string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clientEnv+"="+url)
	if err := cmd.Start(); err != nil {
		t.Errorf("start a client: %v", err)
		time.Sleep(time.Second)
		return
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	kind := []string{"none", "SIGKILL", "SIGSTOP+SIGKILL", "SIGSTOP+SIGCONT"}[rand.IntN(4)]
	select {
	case <-exited:
		kind = "none"
	case <-time.After(time.Duration(50+rand.IntN(1500)) * time.Millisecond):
		p := cmd.Process
		switch kind {
		case "SIGKILL":
			_ = p.Signal(syscall.SIGKILL)
		case "SIGSTOP+SIGKILL", "SIGSTOP+SIGCONT":
			_ = p.Signal(syscall.SIGSTOP)
			time.Sleep(time.Duration(200+rand.IntN(2500)) * time.Millisecond)
			if kind == "SIGSTOP+SIGKILL" {
				_ = p.Signal(syscall.SIGKILL)
			} else {
				_ = p.Signal(syscall.SIGCONT)
			}
		}
	}
	select {
	case <-exited:
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		kind += " (hung, killed)"
	}
	tl.mu.Lock()
	tl.faults[kind]++
	tl.mu.Unlock()
}
