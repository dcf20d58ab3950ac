package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device/devicetest"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
)

// The protocol test vectors through the whole path: a client, the
// in-process connector, a server session, the device manager, the
// simulated device. Spec v3 runs the Go client; v4, v2 and v1 run versioned
// clients that write the messages by hand, as the reference's device tests
// do (the Go client speaks v3 and v4 only, and sends one output per frame).
// Floors are the number of bundled files that pass per client version; the
// direct path's floor is in core/device/devicetest. Files whose messages
// spec v1–v2 cannot express (ScalarCmd outside a !VersionGated block) fail
// for those versions, as the reference leaves them out of its v1/v2 runs.
var serverVectorFloor = map[protocol.Version]int{
	protocol.Version4: 81, protocol.Version3: 81, protocol.Version2: 64, protocol.Version1: 64,
}

// vectorClient executes a vector's messages with the Go client, mapping
// their indexes the way the reference's versioned test clients do: Vibrate
// Index i is the i-th vibrating feature, Rotate the i-th rotator (signed
// ones first, as RotateCmd lists them), Linear the i-th positioner with
// duration, Scalar the i-th entry of the spec v3 ScalarCmd list.
type vectorClient struct {
	srv *server.Server
	c   *client.Client
	sub *client.Subscription

	mu    sync.Mutex
	added []devicetest.AddedDevice
}

func serverClient(v protocol.Version) devicetest.ClientFactory {
	return func(ctx context.Context, env *devicetest.Env) (devicetest.Client, error) {
		srv := server.New(server.FromDeviceManager(env.Manager))
		c := client.New("vectors", client.WithVersion(v))
		sub := c.Subscribe(256)
		if err := c.Connect(ctx, srv.Connector()); err != nil {
			sub.Close()
			srv.Close()
			return nil, err
		}
		return &vectorClient{srv: srv, c: c, sub: sub}, nil
	}
}

func (vc *vectorClient) StartScanning(ctx context.Context) error { return vc.c.StartScanning(ctx) }

func (vc *vectorClient) WaitDevices(ctx context.Context, n int) ([]devicetest.AddedDevice, error) {
	for {
		vc.mu.Lock()
		if len(vc.added) >= n {
			out := append([]devicetest.AddedDevice(nil), vc.added...)
			vc.mu.Unlock()
			return out, nil
		}
		vc.mu.Unlock()
		select {
		case ev := <-vc.sub.C():
			switch ev := ev.(type) {
			case client.DeviceAdded:
				vc.mu.Lock()
				vc.added = append(vc.added, devicetest.AddedDevice{Index: ev.Device.Index(), Name: ev.Device.Name(), DisplayName: ev.Device.DisplayName()})
				vc.mu.Unlock()
			case client.Disconnected:
				return nil, ev.Err
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d device(s) added: %w", len(vc.added), n, ctx.Err())
		}
	}
}

func (vc *vectorClient) device(index uint32) (*client.Device, error) {
	d, ok := vc.c.Device(index)
	if !ok {
		return nil, fmt.Errorf("no device %d", index)
	}
	return d, nil
}

// withOutput lists the features having an output of type t.
func withOutput(d *client.Device, t protocol.OutputType, signedOnly bool) []client.Feature {
	var out []client.Feature
	for _, f := range d.Features() {
		if o, ok := f.Output(t); ok && (!signedOnly || o.Signed()) {
			out = append(out, f)
		}
	}
	return out
}

// scalarOrder is the order of a feature's outputs in the spec v3 ScalarCmd
// list the server builds.
var scalarOrder = []protocol.OutputType{
	protocol.OutputConstrict, protocol.OutputInflate, protocol.OutputOscillate,
	protocol.OutputPosition, protocol.OutputRotate, protocol.OutputVibrate,
}

type scalarEntry struct {
	feature uint32
	typ     protocol.OutputType
}

// scalarEntries is the ScalarCmd list: a spec v4 device's features in
// order, or the ScalarCmd entries a spec v3 client numbered first.
func scalarEntries(d *client.Device) []scalarEntry {
	fs := d.Features()
	sort.Slice(fs, func(i, j int) bool { return fs[i].Index < fs[j].Index })
	var out []scalarEntry
	for _, f := range fs {
		for _, t := range scalarOrder {
			if _, ok := f.Output(t); ok {
				out = append(out, scalarEntry{f.Index, t})
			}
		}
	}
	return out
}

func (vc *vectorClient) Send(ctx context.Context, index uint32, msg devicetest.Message) error {
	d, err := vc.device(index)
	if err != nil {
		return err
	}
	if msg.Kind == devicetest.MsgStop {
		return d.Stop(ctx)
	}
	var cmds []client.Command
	for _, s := range msg.Subs {
		var feats []client.Feature
		cmd := client.Command{Value: client.Fraction(s.Value)}
		switch msg.Kind {
		case devicetest.MsgVibrate:
			cmd.Type = protocol.OutputVibrate
			feats = withOutput(d, cmd.Type, false)
		case devicetest.MsgRotate:
			cmd.Type = protocol.OutputRotate
			if feats = withOutput(d, cmd.Type, true); len(feats) == 0 {
				feats = withOutput(d, cmd.Type, false)
			}
			if !s.Clockwise {
				cmd.Value = client.Fraction(-s.Value)
			}
		case devicetest.MsgLinear:
			cmd.Type = protocol.OutputHwPositionWithDuration
			cmd.Duration = time.Duration(s.Duration) * time.Millisecond
			feats = withOutput(d, cmd.Type, false)
		case devicetest.MsgScalar:
			entries := scalarEntries(d)
			if int(s.Index) >= len(entries) {
				return fmt.Errorf("scalar index %d: the device has %d", s.Index, len(entries))
			}
			cmd.Feature, cmd.Type = entries[s.Index].feature, protocol.OutputType(s.ActuatorType)
			cmds = append(cmds, cmd)
			continue
		default:
			return fmt.Errorf("unsupported message %s", msg.Kind)
		}
		if int(s.Index) >= len(feats) {
			return fmt.Errorf("%s index %d: the device has %d", msg.Kind, s.Index, len(feats))
		}
		cmd.Feature = feats[s.Index].Index
		cmds = append(cmds, cmd)
	}
	return d.Run(ctx, cmds...)
}

func (vc *vectorClient) Battery(ctx context.Context, index uint32) (float64, error) {
	d, err := vc.device(index)
	if err != nil {
		return 0, err
	}
	v, err := d.Battery(ctx)
	return float64(v) / 100, err
}

func (vc *vectorClient) RSSI(ctx context.Context, index uint32) (int32, error) {
	d, err := vc.device(index)
	if err != nil {
		return 0, err
	}
	return d.RSSI(ctx)
}

func (vc *vectorClient) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := vc.c.Disconnect(ctx)
	vc.sub.Close()
	vc.srv.Close()
	return err
}

// vectorClients are the clients each spec version's vectors run through.
var vectorClients = []struct {
	v       protocol.Version
	factory devicetest.ClientFactory
}{
	{protocol.Version4, rawClient(protocol.Version4)},
	{protocol.Version3, serverClient(protocol.Version3)},
	{protocol.Version2, rawClient(protocol.Version2)},
	{protocol.Version1, rawClient(protocol.Version1)},
}

func runServerVectors(t *testing.T, dir string, v protocol.Version, factory devicetest.ClientFactory) (passed, total int) {
	t.Helper()
	results, err := devicetest.RunDir(context.Background(), dir, factory, devicetest.Options{SpecVersion: uint32(v)})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	passed = devicetest.Summary(&sb, results)
	t.Logf("through the server, spec %s client:\n%s", v, sb.String())
	return passed, len(results)
}

func TestVectorsThroughServer(t *testing.T) {
	dir := filepath.Join("..", "device", "testdata", "device-tests")
	for _, vc := range vectorClients {
		t.Run(vc.v.String(), func(t *testing.T) {
			passed, total := runServerVectors(t, dir, vc.v, vc.factory)
			t.Logf("bundled vectors through the server (%s): %d/%d passed", vc.v, passed, total)
			if passed < serverVectorFloor[vc.v] {
				t.Errorf("%d vector files passed, below the floor of %d", passed, serverVectorFloor[vc.v])
			}
		})
	}
}

func TestVectorsThroughServerFromEnv(t *testing.T) {
	dir := os.Getenv("BPHOST_DEVICE_TESTS")
	if dir == "" {
		t.Skip("BPHOST_DEVICE_TESTS not set")
	}
	for _, vc := range vectorClients {
		passed, total := runServerVectors(t, dir, vc.v, vc.factory)
		t.Logf("%s through the server (%s): %d/%d passed", dir, vc.v, passed, total)
	}
}
