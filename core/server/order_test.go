package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
)

// fakeManager is a device layer with one device, a fakeDevice (whose
// writes complete only when the test says so; it records the order of what
// reaches the device) or another test's.
type fakeManager struct {
	dev    server.Device
	events chan device.Event
}

func (m *fakeManager) StartScanning(context.Context) error { return nil }
func (m *fakeManager) StopScanning(context.Context) error  { return nil }
func (m *fakeManager) Devices() []server.Device            { return []server.Device{m.dev} }
func (m *fakeManager) Events() <-chan device.Event         { return m.events }
func (m *fakeManager) StopAll(ctx context.Context) error {
	wait, err := m.dev.QueueStop(ctx, nil, true, true)
	if err != nil {
		return err
	}
	return wait(ctx)
}
func (m *fakeManager) Device(i uint32) (server.Device, bool) { return m.dev, i == 0 }

type fakeDevice struct {
	release chan struct{} // writes complete once it is closed

	mu  sync.Mutex
	ops []string
}

func (d *fakeDevice) log(op string) {
	d.mu.Lock()
	d.ops = append(d.ops, op)
	d.mu.Unlock()
}

func (d *fakeDevice) Ops() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ops...)
}

func (d *fakeDevice) Info() protocol.DeviceInfo {
	return protocol.DeviceInfo{DeviceName: "Fake", DeviceFeatures: map[uint32]protocol.Feature{
		0: {Output: map[protocol.OutputType]protocol.OutputSpec{protocol.OutputVibrate: {Value: protocol.Range{0, 20}}}},
	}}
}

func (d *fakeDevice) QueueOutputs(cmds []device.FeatureOutput) (func(context.Context) error, error) {
	var parts []string
	for _, c := range cmds {
		if c.Command.Value > 20 {
			return nil, fmt.Errorf("%w: %d", device.ErrOutOfRange, c.Command.Value)
		}
	}
	for _, c := range cmds {
		parts = append(parts, fmt.Sprintf("%s %d", c.Command.Type, c.Command.Value))
	}
	d.log(strings.Join(parts, "+"))
	return func(ctx context.Context) error {
		select {
		case <-d.release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, nil
}

func (d *fakeDevice) Input(context.Context, uint32, protocol.InputType, protocol.InputCommandType) (int32, error) {
	d.log("input")
	return 0, errors.New("fake device has no inputs")
}

func (d *fakeDevice) QueueInput(uint32, protocol.InputType, protocol.InputCommandType) (func(context.Context) error, error) {
	d.log("input")
	return nil, errors.New("fake device has no inputs")
}

func (d *fakeDevice) QueueStop(context.Context, *uint32, bool, bool) (func(context.Context) error, error) {
	d.log("stop")
	return func(context.Context) error { return nil }, nil
}

// Commands for one device reach it in the order they were sent, and the
// server does not wait for one write before queueing the next (so the
// device can coalesce them); a stop-all comes after the commands before it.
func TestCommandsQueuedInOrderWithoutWaiting(t *testing.T) {
	dev := &fakeDevice{release: make(chan struct{})}
	srv := server.New(&fakeManager{dev: dev, events: make(chan device.Event)})
	defer srv.Close()
	c := &raw{t: t, c: srv.Connector()}
	if err := c.c.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	c.handshake(4)
	for v := 1; v <= 10; v++ {
		c.send(fmt.Sprintf(`[{"OutputCmd":{"Id":%d,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":%d}}}}]`, 10+v, v))
	}
	c.send(`[{"StopCmd":{"Id":30}}]`)
	// The device takes the subscription while no write has completed.
	c.send(`[{"InputCmd":{"Id":32,"DeviceIndex":0,"FeatureIndex":0,"Type":"Battery","Command":"Subscribe"}}]`)
	oks := map[string]bool{}
	for {
		f := c.recv()
		if strings.HasPrefix(f, `[{"Ok"`) {
			oks[f] = true
			continue
		}
		if e, ok := asErrorReply(f); ok && e.ID == 32 {
			break
		}
		t.Fatalf("unexpected %s", f)
	}
	got := strings.Join(dev.Ops(), ", ")
	want := "Vibrate 1, Vibrate 2, Vibrate 3, Vibrate 4, Vibrate 5, Vibrate 6, Vibrate 7, Vibrate 8, Vibrate 9, Vibrate 10, stop, input"
	if got != want {
		t.Fatalf("device got %s\nwant %s", got, want)
	}
	for id := 11; id <= 20; id++ {
		if oks[fmt.Sprintf(`[{"Ok":{"Id":%d}}]`, id)] {
			t.Fatalf("command %d answered before its write completed", id)
		}
	}
	close(dev.release)
	for len(oks) < 11 {
		f := c.recv()
		if !strings.HasPrefix(f, `[{"Ok"`) {
			t.Fatalf("unexpected %s", f)
		}
		oks[f] = true
	}
	if !oks[`[{"Ok":{"Id":30}}]`] || !oks[`[{"Ok":{"Id":20}}]`] {
		t.Fatalf("replies %v", oks)
	}
}

// The output commands of one frame for one device reach it in one call, so
// a spec v4 client can change several features in one flush. Another
// message in between ends the group; a refused command is answered on its
// own and the others of its group still run.
func TestFrameOutputsQueuedTogether(t *testing.T) {
	dev := &fakeDevice{release: make(chan struct{})}
	close(dev.release)
	srv := server.New(&fakeManager{dev: dev, events: make(chan device.Event)})
	defer srv.Close()
	c := &raw{t: t, c: srv.Connector()}
	if err := c.c.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	defer c.c.Close()
	c.handshake(4)
	out := func(id, dev, v int) string {
		return fmt.Sprintf(`{"OutputCmd":{"Id":%d,"DeviceIndex":%d,"FeatureIndex":0,"Command":{"Vibrate":{"Value":%d}}}}`, id, dev, v)
	}
	c.send("[" + strings.Join([]string{out(2, 0, 1), out(3, 0, 2), out(4, 0, 3), `{"Ping":{"Id":5}}`,
		out(6, 0, 4), out(7, 3, 1), out(8, 0, 5), out(9, 0, 99), out(10, 0, 6)}, ",") + "]")
	got := map[string]bool{}
	var errs []errorReply
	for len(got)+len(errs) < 9 {
		f := c.recv()
		if e, ok := asErrorReply(f); ok {
			errs = append(errs, e)
			continue
		}
		got[f] = true
	}
	for _, id := range []int{2, 3, 4, 5, 6, 8, 10} {
		if !got[fmt.Sprintf(`[{"Ok":{"Id":%d}}]`, id)] {
			t.Errorf("no Ok for %d: %v", id, got)
		}
	}
	if len(errs) != 2 || errs[0].ID != 7 || errs[1].ID != 9 || errs[1].Code != 4 {
		t.Errorf("errors %+v, want Id 7 (no device) and 9 (out of range)", errs)
	}
	want := "Vibrate 1+Vibrate 2+Vibrate 3, Vibrate 4, Vibrate 5, Vibrate 6"
	if ops := strings.Join(dev.Ops(), ", "); ops != want {
		t.Fatalf("device got %s, want %s", ops, want)
	}
}
