package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
	"github.com/hashicorp/go-hclog"
)

// pipePeers stands in for the embedded server in the conformance kit: the
// kit's peers are raw frame endpoints, which a Buttplug server is not. A
// test option names the peer a session goes to; the rest of the plugin
// path (options, sessions, close) is the real one.
type pipePeers struct {
	mu    sync.Mutex
	peers map[string]*pipePeer
	next  atomic.Int64
}

type pipePeer struct {
	id       string
	owner    *pipePeers
	accepted chan connector.Connector
	closed   atomic.Bool
	mu       sync.Mutex
	ends     []*connector.PipeEnd
}

func (ps *pipePeers) newPeer(t testing.TB) plugintest.Peer {
	p := &pipePeer{id: fmt.Sprint(ps.next.Add(1)), owner: ps, accepted: make(chan connector.Connector, 16)}
	ps.mu.Lock()
	ps.peers[p.id] = p
	ps.mu.Unlock()
	t.Cleanup(func() { p.Close() })
	return p
}

func (ps *pipePeers) serve(_ context.Context, opts pluginapi.Options) (connector.Connector, error) {
	ps.mu.Lock()
	p := ps.peers[opts.String("test-peer")]
	ps.mu.Unlock()
	if p == nil || p.closed.Load() {
		return nil, fmt.Errorf("test peer %q: %w", opts.String("test-peer"), connector.ErrServerAbsent)
	}
	host, server := connector.Pipe(0)
	p.mu.Lock()
	p.ends = append(p.ends, server)
	p.mu.Unlock()
	p.accepted <- server
	return host, nil
}

func (p *pipePeer) Options() map[string]string { return map[string]string{"test-peer": p.id} }

func (p *pipePeer) Accept(ctx context.Context) (connector.Connector, error) {
	select {
	case c := <-p.accepted:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipePeer) Close() error {
	p.closed.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.ends {
		e.Close()
	}
	return nil
}

// testTransport is the plugin's transport with the test-peer option added.
type testTransport struct{ *transport }

func (t testTransport) Describe() pluginapi.Description {
	d := t.transport.Describe()
	d.Options = append(d.Options, pluginapi.OptionSpec{Name: "test-peer", Help: "test only"})
	return d
}

func TestConformanceInProcess(t *testing.T) {
	peers := &pipePeers{peers: map[string]*pipePeer{}}
	plugintest.Run(t, plugintest.Config{
		Start:   plugintest.InProcess(testTransport{newTransport(peers.serve, nil)}),
		NewPeer: peers.newPeer,
	})
}

// writeLog collects what simulated devices received, from the plugin's
// log lines as the host receives them.
type writeLog struct {
	mu    sync.Mutex
	texts []string
	seen  chan struct{}
}

func (w *writeLog) Accept(_ string, _ hclog.Level, msg string, args ...any) {
	if msg != writeLogMessage {
		return
	}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "text" {
			w.mu.Lock()
			w.texts = append(w.texts, fmt.Sprint(args[i+1]))
			w.mu.Unlock()
			select {
			case w.seen <- struct{}{}:
			default:
			}
		}
	}
}

// waitFor waits until a device received text.
func (w *writeLog) waitFor(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	for {
		w.mu.Lock()
		got := slices.Contains(w.texts, text)
		all := slices.Clone(w.texts)
		w.mu.Unlock()
		if got {
			return
		}
		select {
		case <-w.seen:
		case <-ctx.Done():
			t.Fatalf("no device received %q; received %q", text, all)
		}
	}
}

func hostLogger(sink hclog.SinkAdapter) hclog.Logger {
	// go-plugin drops plugin lines below the host logger's level before
	// sinks see them, so the logger takes Info and prints nothing itself.
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "test", Level: hclog.Info, Output: io.Discard})
	l.RegisterSink(sink)
	return l
}

// The built plugin runs a real server: a client connects through it,
// finds the simulated toy, drives it, and the toy's bytes come back in the
// plugin's log; ending the session stops the toy.
func TestBinaryDrivesSimulatedDevice(t *testing.T) {
	bin := plugintest.Build(t, ".", "embedded")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := &writeLog{seen: make(chan struct{}, 1)}
	p, err := host.Launch(ctx, bin, host.Config{Logger: hostLogger(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if d := p.Description(); d.Name != "embedded" || d.ContractVersion != pluginapi.ContractVersion {
		t.Fatalf("description %+v", d)
	}
	c := client.New("test")
	if err := c.Connect(ctx, p.Connector(map[string]string{"simulate": "Lovense Hush"})); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.ServerInfo(); info.Version != 4 {
		t.Errorf("negotiated %v, want spec v4", info.Version)
	}
	if err := c.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	var dev *client.Device
	for dev == nil {
		if d, ok := c.Device(0); ok {
			dev = d
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the simulated device never appeared")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if dev.Name() != "Lovense Hush" {
		t.Fatalf("device %q", dev.Name())
	}
	if err := dev.Vibrate(ctx, client.Fraction(0.5)); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, ctx, "Vibrate:10;")
	if b, err := dev.Battery(ctx); err != nil || b <= 0 || b > 100 {
		t.Fatalf("battery %d, %v", b, err)
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, ctx, "Vibrate:0;")
}

// Bad option values are refused before a server starts, naming the problem.
func TestBadOptions(t *testing.T) {
	p, err := host.NewInProcess(newEmbeddedTransport(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"version":`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"simulate": "No Such Toy 3000"}, "No Such Toy 3000"},
		{map[string]string{"device-config": filepath.Join(t.TempDir(), "missing.json")}, "missing.json"},
		{map[string]string{"user-device-config": bad}, "bad.json"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := p.Connector(tt.opts).Connect(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("options %v: error %v, want one naming %q", tt.opts, err, tt.want)
		}
	}
}

// With record-socket set, what the simulated devices receive reaches the
// host as typed records (core/embedded.DeviceRecord), not log lines: the
// toy's command, and its stop when the session ends.
func TestRecordSocket(t *testing.T) {
	recs := make(chan embedded.DeviceRecord, 64)
	l, err := embedded.ListenRecords(func(r embedded.DeviceRecord) { recs <- r })
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p, err := host.NewInProcess(newEmbeddedTransport(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client.New("test")
	if err := c.Connect(ctx, p.Connector(map[string]string{"simulate": "Lovense Hush", "record-socket": l.Path(), "use-bluetooth-le": "false"})); err != nil {
		t.Fatal(err)
	}
	if err := c.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	var dev *client.Device
	for dev == nil {
		if d, ok := c.Device(0); ok {
			dev = d
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the simulated device never appeared")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := dev.Vibrate(ctx, client.Fraction(0.5)); err != nil {
		t.Fatal(err)
	}
	waitRecord := func(data string) {
		t.Helper()
		for {
			select {
			case r := <-recs:
				if r.Device == "Lovense Hush" && r.Kind == "write" && r.Endpoint == "tx" && string(r.Data) == data {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no record of %q", data)
			}
		}
	}
	waitRecord("Vibrate:10;")
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	waitRecord("Vibrate:0;")
}
