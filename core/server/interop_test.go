package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/internal/peerstest"
)

// The interop tests drive our websocket listener with the npm `buttplug`
// clients written by others (interop/peers): 5.0.2 speaks spec v4, 3.2.2
// spec v3. testdata/interop-client.js connects, scans, waits for the toy,
// vibrates at 0.5, reads the battery, stops and disconnects, printing each
// frame and step as a JSON line.

// interopRun is what the node client printed.
type interopRun struct {
	steps  map[string]interopStep
	frames []interopFrame
}

type interopStep struct {
	Step  string          `json:"step"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

type interopFrame struct {
	Dir  string `json:"frame"`
	Data string `json:"data"`
}

func runNodeClient(t *testing.T, peers, url, pkg string) interopRun {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "interop-client.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := peerstest.Start(t, peers, []string{"PEERS=" + peers, "BP=" + pkg}, script, url)
	lines, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("node client %s: %v\n%s", pkg, err, strings.Join(lines, "\n"))
	}
	run := interopRun{steps: map[string]interopStep{}}
	for _, l := range lines {
		var s interopStep
		var f interopFrame
		switch {
		case json.Unmarshal([]byte(l), &f) == nil && f.Dir != "":
			run.frames = append(run.frames, f)
		case json.Unmarshal([]byte(l), &s) == nil && s.Step != "":
			run.steps[s.Step] = s
		default:
			t.Logf("node: %s", l)
		}
	}
	return run
}

func (run interopRun) require(t *testing.T, steps ...string) {
	t.Helper()
	for _, name := range steps {
		s, ok := run.steps[name]
		if !ok || !s.OK {
			t.Errorf("step %s: %+v", name, s)
		}
	}
}

// received returns the server's frames.
func (run interopRun) received() []string {
	var out []string
	for _, f := range run.frames {
		if f.Dir == "S->C" {
			out = append(out, f.Data)
		}
	}
	return out
}

func TestInteropNodeClients(t *testing.T) {
	peers := peerstest.Dir(t, "buttplug", "bp3")
	cases := []struct {
		pkg     string
		version protocol.Version
		battery string
	}{
		{"buttplug", protocol.Version4, "64"},
		{"bp3", protocol.Version3, "0.64"},
	}
	for _, tc := range cases {
		t.Run(tc.pkg, func(t *testing.T) {
			r := newRig(t, rigOpts{})
			sd, err := r.sim.Add("Lovense Hush", simulated.WithBattery(64))
			if err != nil {
				t.Fatal(err)
			}
			ls := serve(t, r.srv, "ws://127.0.0.1:0")
			run := runNodeClient(t, peers, ls[0].URL(), tc.pkg)
			run.require(t, "connect", "scan", "device", "vibrate", "battery", "stop", "stopScanning", "disconnect")
			if got := string(run.steps["device"].Value); got != `"Lovense Hush"` {
				t.Errorf("device %s", got)
			}
			if got := string(run.steps["battery"].Value); got != tc.battery {
				t.Errorf("battery %s, want %s", got, tc.battery)
			}
			// What the toy got: the handshake, 0.5 as 10 of 20 steps, the
			// battery query, and a stop last.
			w := writes(sd)
			joined := strings.Join(w, " ")
			if !strings.HasPrefix(joined, "DeviceType; Vibrate:10; Battery; Vibrate:0;") || w[len(w)-1] != "Vibrate:0;" {
				t.Errorf("device writes %q", w)
			}
			started := r.sessionEvent(server.SessionStarted, 1)
			if started.Client != "Interop Client" || started.Version != tc.version {
				t.Errorf("session %+v, want spec %s", started, tc.version)
			}
			if e := r.sessionEvent(server.SessionEnded, 1); e.Err != nil {
				t.Errorf("session ended with %v", e.Err)
			}
		})
	}
}

// The reference server (buttplug-rs 7.1.5 as WASM) and ours answer the same
// spec v3 scenario with frames of the same shape: same message types, same
// fields, same JSON types. Ours may add the optional fields of spec v3.
func TestInteropFrameShapesMatchReference(t *testing.T) {
	peers := peerstest.Dir(t, "bp3", "buttplug-wasm")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	url, _ := peerstest.StartWASMServer(t, ctx, "FAKE_DEVICES=lovense")
	ref := runNodeClient(t, peers, url, "bp3")
	ref.require(t, "connect", "scan", "device", "vibrate", "battery", "stop", "disconnect")

	r := newRig(t, rigOpts{})
	if _, err := r.sim.Add("Lovense Hush"); err != nil {
		t.Fatal(err)
	}
	ls := serve(t, r.srv, "ws://127.0.0.1:0")
	ours := runNodeClient(t, peers, ls[0].URL(), "bp3")
	ours.require(t, "connect", "scan", "device", "vibrate", "battery", "stop", "disconnect")

	refShapes, ourShapes := shapesByType(t, ref.received()), shapesByType(t, ours.received())
	if len(refShapes) < 5 {
		t.Fatalf("the reference said little: %v", ref.received())
	}
	for typ, want := range refShapes {
		got, ok := ourShapes[typ]
		if !ok {
			t.Errorf("we sent no %s; the reference sent %s", typ, want)
			continue
		}
		if diff := shapeDiff(want, got, typ); diff != "" {
			t.Errorf("%s: %s\nreference %s\nours      %s", typ, diff, want, got)
		}
	}
}

// optionalV3 are fields spec v3 makes optional, which the reference leaves
// out and we send.
var optionalV3 = map[string]bool{"DeviceMessageTimingGap": true, "DeviceDisplayName": true}

// shapesByType returns the shape of the first message of each type in
// frames; a message type met again must keep its shape, ignoring lists
// that are empty.
func shapesByType(t *testing.T, frames []string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, f := range frames {
		var msgs []map[string]any
		if err := json.Unmarshal([]byte(f), &msgs); err != nil {
			t.Fatalf("frame %s: %v", f, err)
		}
		for _, m := range msgs {
			for typ, body := range m {
				s := shape(body)
				if prev, ok := out[typ]; !ok || shapeSize(s) > shapeSize(prev) {
					out[typ] = s
				}
			}
		}
	}
	return out
}

// shape replaces every value by its JSON kind; arrays keep their first
// element's shape.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range v {
			m[k] = shape(x)
		}
		return m
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		return []any{shape(v[0])}
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

func shapeSize(s any) int {
	b, _ := json.Marshal(s)
	return len(b)
}

// shapeDiff says how got differs from want; empty when they match.
func shapeDiff(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object expected", path)
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, both := w[k]; !both {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inG:
				return fmt.Sprintf("%s.%s missing", path, k)
			case !inW && !optionalV3[k]:
				return fmt.Sprintf("%s.%s is extra", path, k)
			case inW:
				if d := shapeDiff(wv, gv, path+"."+k); d != "" {
					return d
				}
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: array expected", path)
		}
		if len(w) == 0 || len(g) == 0 {
			return ""
		}
		return shapeDiff(w[0], g[0], path+"[0]")
	}
	if want != got {
		return fmt.Sprintf("%s: %v expected, got %v", path, want, got)
	}
	return ""
}
