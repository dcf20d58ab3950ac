package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/httpapi"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait of a test: a guard against hangs, not a timing
// assertion.
const wait = 30 * time.Second

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// rig is an embedded server with simulated toys, an API over it and an
// HTTP test server in front.
type rig struct {
	t   testing.TB
	e   *embedded.Server
	api *httpapi.API
	ts  *httptest.Server

	mu    sync.Mutex
	added map[string]uint32 // model -> device index
	seen  chan struct{}
}

var toys = []string{"Lovense Hush", "Vorze A10 Cyclone SA", "Kiiroo Keon"}

// newRig starts the server; with scan, it also scans until every toy is
// connected.
func newRig(t testing.TB, scan bool) *rig {
	t.Helper()
	return newRigOf(t, scan, toys...)
}

// newRigOf is newRig with other simulated models.
func newRigOf(t testing.TB, scan bool, models ...string) *rig {
	t.Helper()
	e, err := embedded.New(embedded.Config{Simulate: models})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, e: e, added: map[string]uint32{}, seen: make(chan struct{}, 1)}
	stop := e.Devices.Watch(func(ev device.Event) {
		if ev.Kind != device.DeviceAdded {
			return
		}
		r.mu.Lock()
		r.added[ev.Device.Name()] = ev.Index
		r.mu.Unlock()
		select {
		case r.seen <- struct{}{}:
		default:
		}
	})
	api, err := httpapi.New(httpapi.Config{Devices: e.Devices, Sessions: e.Server, Simulated: e.Simulated, ServerName: e.Name()})
	if err != nil {
		t.Fatal(err)
	}
	r.api = api
	r.ts = httptest.NewServer(api)
	t.Cleanup(func() {
		stop()
		api.Close()
		r.ts.Close()
		if err := e.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	if scan {
		if st, body := r.do("GET", "/api/v1/start-scanning"); st != 200 {
			t.Fatalf("start scanning: %d %s", st, body)
		}
		r.waitDevices(len(models))
	}
	return r
}

func (r *rig) waitDevices(n int) {
	r.t.Helper()
	timeout := time.After(wait)
	for {
		r.mu.Lock()
		got := len(r.added)
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.seen:
		case <-timeout:
			r.t.Fatalf("%d of %d devices connected", got, n)
		}
	}
}

// index is the device index of a simulated model.
func (r *rig) index(model string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.added[model]
	if !ok {
		r.t.Fatalf("%s is not connected", model)
	}
	return strings.TrimSpace(jsonString(i))
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func (r *rig) sim(model string) *simulated.Device {
	for _, d := range r.e.Simulated.Devices() {
		if d.Model() == model {
			return d
		}
	}
	r.t.Fatalf("no simulated %s", model)
	return nil
}

// writes counts the writes of every simulated toy.
func (r *rig) writes() int {
	n := 0
	for _, d := range r.e.Simulated.Devices() {
		n += len(d.Writes())
	}
	return n
}

// request sends one request with the token and the given headers.
func (r *rig) request(method, path string, hdr map[string]string) (*http.Response, string) {
	r.t.Helper()
	req, err := http.NewRequestWithContext(ctxT(r.t), method, r.ts.URL+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set(httpapi.TokenHeader, r.api.Token())
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v // Go sends req.Host, not a Host header
			continue
		}
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := r.ts.Client().Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (r *rig) do(method, path string) (int, string) {
	r.t.Helper()
	res, body := r.request(method, path, nil)
	return res.StatusCode, body
}

// lastWrite waits until the toy's latest write is want.
func lastWrite(t testing.TB, sd *simulated.Device, want string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		ch := sd.Changed()
		ws := sd.Writes()
		if len(ws) > 0 && string(ws[len(ws)-1].Data) == want {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: last write is not %q; writes %v", sd.Model(), want, ws)
		}
	}
}

// eventStream reads /api/v1/events into a channel until the test ends.
type eventStream struct {
	t  testing.TB
	ch chan httpapi.Event
}

func (r *rig) events() *eventStream {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", r.ts.URL+"/api/v1/events", nil)
	req.Header.Set(httpapi.TokenHeader, r.api.Token())
	res, err := r.ts.Client().Do(req)
	if err != nil {
		cancel()
		r.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		r.t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &eventStream{t: r.t, ch: make(chan httpapi.Event, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.ch)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev httpapi.Event
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				r.t.Errorf("bad event %q: %v", line, err)
				continue
			}
			s.ch <- ev
		}
	}()
	r.t.Cleanup(func() { cancel(); res.Body.Close(); <-done })
	return s
}

// next waits for the next event of type typ that satisfies ok (nil: any).
func (s *eventStream) next(typ string, ok func(httpapi.Event) bool) httpapi.Event {
	s.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case ev, open := <-s.ch:
			if !open {
				s.t.Fatalf("stream ended before a %s event", typ)
			}
			if ev.Type == typ && (ok == nil || ok(ev)) {
				return ev
			}
		case <-timeout:
			s.t.Fatalf("no %s event", typ)
		}
	}
}
