package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait of a test; it is a safety net against hangs, not
// a timing assertion.
const wait = 20 * time.Second

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// rig is a server over a device manager with a simulated backend.
type rig struct {
	t   testing.TB
	db  *config.DB
	sim *simulated.Manager
	m   *device.Manager
	srv *server.Server

	mu       sync.Mutex
	sessions []server.SessionEvent
	notify   chan struct{}
	// onEnd runs in the observer when a session ended.
	onEnd func(server.SessionEvent)
}

type rigOpts struct {
	server []server.Option
	device []device.Option
	sim    []simulated.Option
}

func newRig(t testing.TB, o rigOpts) *rig {
	t.Helper()
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db, notify: make(chan struct{}, 1)}
	r.sim = simulated.New(db, o.sim...)
	r.m = device.NewManager(db, []comm.Manager{r.sim}, o.device...)
	opts := append([]server.Option{server.WithSessionObserver(r.observe)}, o.server...)
	r.srv = server.New(server.FromDeviceManager(r.m), opts...)
	t.Cleanup(func() {
		if err := r.srv.Close(); err != nil {
			t.Errorf("server close: %v", err)
		}
		if err := r.m.Close(); err != nil {
			t.Errorf("manager close: %v", err)
		}
	})
	return r
}

func (r *rig) observe(e server.SessionEvent) {
	r.mu.Lock()
	r.sessions = append(r.sessions, e)
	onEnd := r.onEnd
	r.mu.Unlock()
	if e.Kind == server.SessionEnded && onEnd != nil {
		onEnd(e)
	}
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// sessionEvent waits for the n-th (from 1) session event of kind k.
func (r *rig) sessionEvent(k server.SessionEventKind, n int) server.SessionEvent {
	r.t.Helper()
	timeout := time.After(wait)
	for {
		r.mu.Lock()
		seen := 0
		for _, e := range r.sessions {
			if e.Kind == k {
				seen++
				if seen == n {
					r.mu.Unlock()
					return e
				}
			}
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-timeout:
			r.t.Fatalf("no %v event #%d", k, n)
		}
	}
}

// connected adds a simulated device and waits until the manager has it,
// before any client scans.
func (r *rig) connected(name string, opts ...simulated.DeviceOption) *simulated.Device {
	r.t.Helper()
	sd, err := r.sim.Add(name, opts...)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx := ctxT(r.t)
	if err := r.m.StartScanning(ctx); err != nil {
		r.t.Fatal(err)
	}
	for !sd.Connected() || !r.hasDevice(sd) {
		select {
		case <-sd.Changed():
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			r.t.Fatalf("%s never connected", name)
		}
	}
	return sd
}

func (r *rig) hasDevice(sd *simulated.Device) bool {
	for _, d := range r.m.Devices() {
		if d.Address() == sd.Address() {
			return true
		}
	}
	return false
}

// writes returns the text of every write sd received.
func writes(sd *simulated.Device) []string {
	var out []string
	for _, w := range sd.Writes() {
		out = append(out, string(w.Data))
	}
	return out
}

// lastWrite waits until sd's last write is want.
func lastWrite(t testing.TB, sd *simulated.Device, want string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		ch := sd.Changed()
		w := writes(sd)
		if len(w) > 0 && w[len(w)-1] == want {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("last write of %s is not %q: %q", sd.Name(), want, w)
		}
	}
}

// hasWrite waits until sd received want.
func hasWrite(t testing.TB, sd *simulated.Device, want string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		ch := sd.Changed()
		for _, w := range writes(sd) {
			if w == want {
				return
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s never received %q: %q", sd.Name(), want, writes(sd))
		}
	}
}

// raw is a client that speaks frames by hand over a connector.
type raw struct {
	t testing.TB
	c connector.Connector
}

func (r *rig) raw() *raw {
	r.t.Helper()
	c := r.srv.Connector()
	if err := c.Connect(ctxT(r.t)); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return &raw{t: r.t, c: c}
}

func (c *raw) send(frame string) {
	c.t.Helper()
	if err := c.c.Send(ctxT(c.t), []byte(frame)); err != nil {
		c.t.Fatalf("send %s: %v", frame, err)
	}
}

// recv returns the next frame, compacted.
func (c *raw) recv() string {
	c.t.Helper()
	f, err := c.c.Recv(ctxT(c.t))
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return compact(c.t, f)
}

// expect reads the next frame and checks it equals want (as JSON).
func (c *raw) expect(want string) {
	c.t.Helper()
	if got := c.recv(); got != compact(c.t, []byte(want)) {
		c.t.Fatalf("got  %s\nwant %s", got, compact(c.t, []byte(want)))
	}
}

// until reads frames until one contains sub and returns it.
func (c *raw) until(sub string) string {
	c.t.Helper()
	ctx := ctxT(c.t)
	var skipped []string
	for {
		f, err := c.c.Recv(ctx)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v; got %q", sub, err, skipped)
		}
		s := compact(c.t, f)
		if strings.Contains(s, sub) {
			return s
		}
		skipped = append(skipped, s)
	}
}

// roundTrip sends frame and expects the reply want, skipping events (Id 0).
func (c *raw) roundTrip(frame, want string) {
	c.t.Helper()
	c.send(frame)
	for {
		got := c.recv()
		if strings.Contains(got, `"Id":0`) && !strings.Contains(want, `"Id":0`) {
			continue
		}
		if got != compact(c.t, []byte(want)) {
			c.t.Fatalf("%s\ngot  %s\nwant %s", frame, got, compact(c.t, []byte(want)))
		}
		return
	}
}

// closed waits until the server ends the session.
func (c *raw) closed() error {
	c.t.Helper()
	ctx := ctxT(c.t)
	for {
		f, err := c.c.Recv(ctx)
		if err != nil {
			if !errors.Is(err, connector.ErrDisconnected) {
				c.t.Fatalf("waiting for the end of the session: %v", err)
			}
			return err
		}
		c.t.Logf("frame before the end: %s", f)
	}
}

// handshake opens a session in spec version v (4 uses ProtocolVersionMajor).
func (c *raw) handshake(v int) {
	c.t.Helper()
	switch v {
	case 4:
		c.send(`[{"RequestServerInfo":{"Id":1,"ClientName":"raw","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`)
	case 0:
		c.send(`[{"RequestServerInfo":{"Id":1,"ClientName":"raw"}}]`)
	default:
		c.send(fmt.Sprintf(`[{"RequestServerInfo":{"Id":1,"ClientName":"raw","MessageVersion":%d}}]`, v))
	}
	if f := c.recv(); !strings.Contains(f, `"ServerInfo"`) {
		c.t.Fatalf("handshake v%d: %s", v, f)
	}
}

func compact(t testing.TB, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// errorReply is an Error message read from a frame.
type errorReply struct {
	ID      uint32 `json:"Id"`
	Code    int    `json:"ErrorCode"`
	Message string `json:"ErrorMessage"`
}

// asErrorReply decodes a frame holding one Error.
func asErrorReply(frame string) (errorReply, bool) {
	var msgs []map[string]errorReply
	if err := json.Unmarshal([]byte(frame), &msgs); err != nil || len(msgs) != 1 {
		return errorReply{}, false
	}
	e, ok := msgs[0]["Error"]
	return e, ok
}

// expectError reads frames up to the next Error and checks its Id and code.
func (c *raw) expectError(id uint32, code int) errorReply {
	c.t.Helper()
	got := c.until(`"Error"`)
	e, ok := asErrorReply(got)
	if !ok || e.ID != id || e.Code != code {
		c.t.Fatalf("got %s, want an Error with Id %d and code %d", got, id, code)
	}
	return e
}
