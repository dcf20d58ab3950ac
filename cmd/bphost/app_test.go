package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/embedded"
	"github.com/hashicorp/go-hclog"
)

// embeddedLauncher runs the embedded server in the test process instead of
// a plugin, so the commands can be tested without binaries. It keeps every
// server it started so the test can read what the devices received.
type embeddedLauncher struct {
	mu      sync.Mutex
	servers []*embedded.Server
	// fail, when set, is returned by Launch.
	fail error
}

func (l *embeddedLauncher) Launch(_ context.Context, name string, opts map[string]string, _ hclog.Logger) (connector.Connector, func(), error) {
	if l.fail != nil {
		return nil, nil, l.fail
	}
	if name != "embedded" {
		return nil, nil, fmt.Errorf("test launcher has no connector %q", name)
	}
	var names []string
	for _, n := range strings.Split(opts["simulate"], ",") {
		if n != "" {
			names = append(names, n)
		}
	}
	e, err := embedded.New(embedded.Config{Simulate: names})
	if err != nil {
		return nil, nil, err
	}
	l.mu.Lock()
	l.servers = append(l.servers, e)
	l.mu.Unlock()
	conn := e.Connector()
	return conn, func() { conn.Close() }, nil
}

// writes returns the text of every write the named simulated device
// received, over every server started.
func (l *embeddedLauncher) writes(name string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.servers {
		for _, d := range e.Simulated.Devices() {
			if d.Model() != name {
				continue
			}
			for _, r := range d.Writes() {
				out = append(out, string(r.Data))
			}
		}
	}
	return out
}

func (l *embeddedLauncher) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.servers {
		e.Close()
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// runApp runs bphost in process with l as its launcher.
func runApp(t *testing.T, l launcher, args ...string) result {
	t.Helper()
	t.Setenv("BPHOST_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no user config file
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, launcher: l}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := a.main(ctx, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func newLauncher(t *testing.T) *embeddedLauncher {
	l := &embeddedLauncher{}
	t.Cleanup(l.close)
	return l
}

func TestCommands(t *testing.T) {
	hush := []string{"--simulate", "Lovense Hush"}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    []string
		wantErr    []string
		wantWrites map[string][]string // device -> writes that must be among what it received
	}{
		{name: "devices table", args: append(slices.Clone(hush), "devices", "--scan", "200ms"),
			wantOut: []string{"DEVICE", "Lovense Hush", "Vibrate 0..20", "Battery (read)"}},
		{name: "vibrate", args: append(slices.Clone(hush), "vibrate", "--device", "0", "--level", "0.5"),
			wantOut: []string{"device 0 (Lovense Hush): vibrate feature 0 at 0.5"}, wantWrites: map[string][]string{"Lovense Hush": {"Vibrate:10;"}}},
		{name: "global flags after the command", args: []string{"vibrate", "--simulate", "Lovense Hush", "--device", "0", "--level", "1"},
			wantOut: []string{"at 1"}, wantWrites: map[string][]string{"Lovense Hush": {"Vibrate:20;"}}},
		{name: "vibrate with duration stops", args: append(slices.Clone(hush), "vibrate", "--device", "0", "--level", "0.25", "--duration", "50ms"),
			wantOut: []string{"stopped after 50ms"}, wantWrites: map[string][]string{"Lovense Hush": {"Vibrate:5;", "Vibrate:0;"}}},
		{name: "rotate counter-clockwise", args: []string{"--simulate", "Lovense Nora", "rotate", "--device", "0", "--level", "0.5", "--ccw"},
			wantOut: []string{"rotate feature 1 at 0.5 counter-clockwise"}, wantWrites: map[string][]string{"Lovense Nora": {"RotateChange;", "Rotate:10;"}}},
		{name: "position", args: []string{"--simulate", "Lovense Solace Pro", "position", "--device", "0", "--level", "0.5", "--duration", "200ms"},
			wantOut: []string{"position feature 0 at 0.5"}},
		{name: "battery", args: append(slices.Clone(hush), "battery", "--device", "0"), wantOut: []string{"battery 85%"}},
		{name: "read", args: append(slices.Clone(hush), "read", "--device", "0", "--feature", "1"), wantOut: []string{"feature 1: Battery 85"}},
		{name: "stop one", args: append(slices.Clone(hush), "stop", "--device", "0"), wantOut: []string{"device 0 (Lovense Hush): stopped"},
			wantWrites: map[string][]string{"Lovense Hush": {"Vibrate:0;"}}},
		{name: "stop all", args: append(slices.Clone(hush), "stop"), wantOut: []string{"stopped every device"}},

		{name: "unknown device", args: append(slices.Clone(hush), "vibrate", "--device", "7", "--level", "0.5"), wantCode: 1,
			wantErr: []string{"no device 7", "0 (Lovense Hush)"}},
		{name: "unsupported output", args: append(slices.Clone(hush), "rotate", "--device", "0", "--level", "0.5"), wantCode: 1,
			wantErr: []string{"has no Rotate output"}},
		{name: "unknown feature", args: append(slices.Clone(hush), "vibrate", "--device", "0", "--feature", "9", "--level", "0.5"), wantCode: 1,
			wantErr: []string{"has no feature 9"}},
		{name: "read with no readable input", args: append(slices.Clone(hush), "read", "--device", "0", "--feature", "0"), wantCode: 1,
			wantErr: []string{"no readable input"}},
		{name: "unknown simulated device", args: []string{"--simulate", "No Such Toy", "devices"}, wantCode: 1, wantErr: []string{"No Such Toy"}},

		{name: "level out of range", args: []string{"vibrate", "--device", "0", "--level", "1.5"}, wantCode: 2, wantErr: []string{"--level 1.5 is outside 0..1"}},
		{name: "level missing", args: []string{"vibrate", "--device", "0"}, wantCode: 2, wantErr: []string{"--level is required"}},
		{name: "device missing", args: []string{"battery"}, wantCode: 2, wantErr: []string{"--device is required"}},
		{name: "bad device index", args: []string{"battery", "--device", "-1"}, wantCode: 2, wantErr: []string{`"-1" is not a device index`}},
		{name: "bad feature index", args: []string{"read", "--device", "0", "--feature", "x"}, wantCode: 2, wantErr: []string{`"x" is not a feature index`}},
		{name: "bad option", args: []string{"--opt", "novalue", "devices"}, wantCode: 2, wantErr: []string{`"novalue" is not key=value`}},
		{name: "unknown command", args: []string{"vibrat"}, wantCode: 2, wantErr: []string{`unknown command "vibrat"`}},
		{name: "no command", args: nil, wantCode: 2, wantErr: []string{"no command given"}},
		{name: "stray argument", args: []string{"devices", "extra"}, wantCode: 2, wantErr: []string{`unexpected argument "extra"`}},
		{name: "simulate on another connector", args: []string{"--connector", "websocket", "--simulate", "Lovense Hush", "devices"}, wantCode: 2,
			wantErr: []string{"--simulate is an option of the embedded connector"}},
		{name: "bad log level", args: []string{"--log-level", "loud", "devices"}, wantCode: 2, wantErr: []string{`--log-level "loud"`}},

		{name: "alias linear", args: []string{"--simulate", "Lovense Solace Pro", "linear", "--device", "0", "--level", "0.2", "--duration", "100ms"},
			wantOut: []string{"position feature 0 at 0.2"}},
		{name: "help", args: []string{"help"}, wantOut: []string{"Commands:", "vibrate", "serve", "--connector"}},
		{name: "command help", args: []string{"help", "vibrate"}, wantOut: []string{"Usage: bphost vibrate", "-level"}},
		{name: "-h on a command", args: []string{"position", "-h"}, wantOut: []string{"take this long to move"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLauncher(t)
			r := runApp(t, l, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			for dev, want := range tt.wantWrites {
				got := l.writes(dev)
				for _, w := range want {
					if !slices.Contains(got, w) {
						t.Errorf("%s received %q, want %q among them", dev, got, w)
					}
				}
			}
		})
	}
}

func TestDevicesJSON(t *testing.T) {
	r := runApp(t, newLauncher(t), "--simulate", "Lovense Hush", "--simulate", "Vorze A10 Cyclone SA", "devices", "--scan", "300ms", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var devs []deviceJSON
	if err := json.Unmarshal([]byte(r.stdout), &devs); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	// Indexes follow the order devices finished connecting, which varies.
	byName := map[string]deviceJSON{}
	for _, d := range devs {
		byName[d.Name] = d
	}
	hush, vorze := byName["Lovense Hush"], byName["Vorze A10 Cyclone SA"]
	if len(devs) != 2 || hush.Name == "" || vorze.Name == "" || hush.Index == vorze.Index {
		t.Fatalf("devices %+v", devs)
	}
	if o := vorze.Features[0].Outputs; len(o) != 1 || o[0].Type != "Rotate" || o[0].Range != [2]int32{-99, 99} {
		t.Fatalf("Vorze outputs %+v", o)
	}
	if in := hush.Features[1].Inputs; len(in) != 1 || in[0].Type != "Battery" || !slices.Equal(in[0].Commands, []string{"Read"}) {
		t.Fatalf("Hush inputs %+v", in)
	}
}

func TestOutputJSON(t *testing.T) {
	r := runApp(t, newLauncher(t), "--json", "--simulate", "Lovense Hush", "vibrate", "--device", "0", "--level", "0.5", "--duration", "10ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res outputResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if res.Device != 0 || res.Action != "vibrate" || res.Level != 0.5 || !res.Stopped || !slices.Equal(res.Features, []uint32{0}) {
		t.Fatalf("result %+v", res)
	}
}

// A connector that cannot start fails the command with its reason.
func TestLaunchFailure(t *testing.T) {
	l := &embeddedLauncher{fail: errors.New("plugin refused: world-writable")}
	r := runApp(t, l, "devices")
	if r.code != 1 || !strings.Contains(r.stderr, "plugin refused: world-writable") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// absentLauncher's connector finds no server.
type absentLauncher struct{}

func (absentLauncher) Launch(context.Context, string, map[string]string, hclog.Logger) (connector.Connector, func(), error) {
	return absentConn{}, func() {}, nil
}

type absentConn struct{ connector.Connector }

func (absentConn) Connect(context.Context) error {
	return fmt.Errorf("no server at ws://127.0.0.1:1: %w", connector.ErrServerAbsent)
}
func (absentConn) Close() error { return nil }

func TestServerAbsent(t *testing.T) {
	r := runApp(t, absentLauncher{}, "--connector", "websocket", "devices")
	if r.code != 1 || !strings.Contains(r.stderr, "no server at ws://127.0.0.1:1") || !strings.Contains(r.stderr, `connect through "websocket"`) {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// The config file supplies the connector's options; flags win.
func TestConfigFileOptions(t *testing.T) {
	path := t.TempDir() + "/config.json"
	body := `{"connector":"embedded","options":{"embedded":{"simulate":"Lovense Nora"}}}`
	if err := writeFile(path, body); err != nil {
		t.Fatal(err)
	}
	l := newLauncher(t)
	r := runApp(t, l, "--config", path, "devices", "--scan", "200ms")
	if r.code != 0 || !strings.Contains(r.stdout, "Lovense Nora") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runApp(t, l, "--config", path, "--opt", "simulate=Lovense Hush", "devices", "--scan", "200ms")
	if r.code != 0 || !strings.Contains(r.stdout, "Lovense Hush") || strings.Contains(r.stdout, "Nora") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runApp(t, l, "--config", t.TempDir()+"/missing.json", "devices")
	if r.code != 1 || !strings.Contains(r.stderr, "missing.json") {
		t.Fatalf("missing config: exit %d, %s", r.code, r.stderr)
	}
}

// watch prints devices and readings, and ends with an error when the
// connection is lost.
func TestWatchConnectionLost(t *testing.T) {
	l := &lossyLauncher{embeddedLauncher: newLauncher(t), after: 300 * time.Millisecond}
	r := runApp(t, l, "--simulate", "Lovense Hush", "watch", "--scan", "100ms", "--json")
	if r.code != 1 || !strings.Contains(r.stderr, "connection lost") || !strings.Contains(r.stderr, "plugin died") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev watchEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		kinds = append(kinds, ev.Event)
	}
	for _, k := range []string{"connected", "device_added", "disconnected"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("events %v lack %s", kinds, k)
		}
	}
}

// lossyLauncher's connections break after a while, as when a plugin dies.
type lossyLauncher struct {
	*embeddedLauncher
	after time.Duration
}

func (l *lossyLauncher) Launch(ctx context.Context, name string, opts map[string]string, log hclog.Logger) (connector.Connector, func(), error) {
	conn, release, err := l.embeddedLauncher.Launch(ctx, name, opts, log)
	if err != nil {
		return nil, nil, err
	}
	return &breakingConn{Connector: conn, after: l.after}, release, nil
}

type breakingConn struct {
	connector.Connector
	after time.Duration
	once  sync.Once
	dead  chan struct{}
}

func (b *breakingConn) Connect(ctx context.Context) error {
	b.once.Do(func() {
		b.dead = make(chan struct{})
		time.AfterFunc(b.after, func() { close(b.dead) })
	})
	return b.Connector.Connect(ctx)
}

func (b *breakingConn) Recv(ctx context.Context) ([]byte, error) {
	type res struct {
		f   []byte
		err error
	}
	ch := make(chan res, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		f, err := b.Connector.Recv(rctx)
		ch <- res{f, err}
	}()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-b.dead:
		return nil, connector.Disconnected(errors.New("plugin died"))
	}
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }

// On a terminal the scan shows one status line, rewritten in place and
// cleared at the end; elsewhere nothing.
func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLine{w: &buf}
	p.show("scanning 0.2s/3s, 0 device(s)")
	p.show("scanning 0.4s/3s, 1 device(s)")
	p.done()
	p.done()
	want := "\r\033[Kscanning 0.2s/3s, 0 device(s)\r\033[Kscanning 0.4s/3s, 1 device(s)\r\033[K"
	if buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
	quiet := &progressLine{}
	quiet.show("x")
	quiet.done()
	a := &app{stderr: &buf}
	if a.progress().w != nil {
		t.Fatal("progress on a buffer, which is not a terminal")
	}
}

// A held command ends as soon as the connection is lost, with the cause,
// instead of holding for the whole duration and reporting a stop it could
// not send.
func TestHoldEndsWhenConnectionLost(t *testing.T) {
	l := &lossyLauncher{embeddedLauncher: newLauncher(t), after: 300 * time.Millisecond}
	r := runApp(t, l, "--simulate", "Lovense Hush", "vibrate", "--device", "0", "--level", "0.5", "--duration", "20s")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"connection lost", "plugin died", "of 20s"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "stopped after") {
		t.Errorf("reports a stop it could not send: %s", r.stdout)
	}
}
