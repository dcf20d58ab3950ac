package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
)

// gridSteps is the largest step count of gridDevice: its feature i
// vibrates with i+1 steps.
const gridSteps = 100

// gridDevice has gridSteps vibrators, one for every step count, and keeps
// the last value each was given.
type gridDevice struct {
	mu   sync.Mutex
	last map[uint32]int32
}

func (d *gridDevice) Info() protocol.DeviceInfo {
	fs := make(map[uint32]protocol.Feature, gridSteps)
	for i := range uint32(gridSteps) {
		fs[i] = protocol.Feature{FeatureIndex: i, Output: map[protocol.OutputType]protocol.OutputSpec{
			protocol.OutputVibrate: {Value: protocol.Range{0, int32(i) + 1}},
		}}
	}
	return protocol.DeviceInfo{DeviceName: "Grid", DeviceFeatures: fs}
}

func (d *gridDevice) QueueOutputs(cmds []device.FeatureOutput) (func(context.Context) error, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range cmds {
		d.last[c.Feature] = c.Command.Value
	}
	return func(context.Context) error { return nil }, nil
}

func (d *gridDevice) take() map[uint32]int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.last
	d.last = map[uint32]int32{}
	return m
}

func (d *gridDevice) Input(context.Context, uint32, protocol.InputType, protocol.InputCommandType) (int32, error) {
	return 0, errors.New("grid device has no inputs")
}

func (d *gridDevice) QueueInput(uint32, protocol.InputType, protocol.InputCommandType) (func(context.Context) error, error) {
	return nil, errors.New("grid device has no inputs")
}

func (d *gridDevice) QueueStop(context.Context, *uint32, bool, bool) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}

// The same fraction gives a device the same steps whether our client
// converts it (spec v4) or our server does (a spec v3 client sends the
// fraction): over every fraction 0.01..0.99 and every step count 1..100.
func TestFractionStepsSameOnClientAndServer(t *testing.T) {
	got := map[protocol.Version][][]int32{} // [fraction*100-1][steps-1]
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		dev := &gridDevice{last: map[uint32]int32{}}
		srv := server.New(&fakeManager{dev: dev, events: make(chan device.Event)})
		ctx := ctxT(t)
		c := client.New("grid", client.WithVersion(v))
		if err := c.Connect(ctx, srv.Connector()); err != nil {
			t.Fatal(err)
		}
		if err := c.RefreshDevices(ctx); err != nil {
			t.Fatal(err)
		}
		ds := c.Devices()
		if len(ds) != 1 {
			t.Fatalf("%v: %d devices, want 1", v, len(ds))
		}
		d := ds[0]
		fs := d.Features()
		if len(fs) != gridSteps {
			t.Fatalf("%v: %d features, want %d", v, len(fs), gridSteps)
		}
		for pc := 1; pc <= 99; pc++ {
			p := float64(pc) / 100
			cmds := make([]client.Command, len(fs))
			for i, f := range fs {
				cmds[i] = client.Command{Feature: f.Index, Type: protocol.OutputVibrate, Value: client.Fraction(p)}
			}
			if err := d.Run(ctx, cmds...); err != nil {
				t.Fatalf("%v: fraction %g: %v", v, p, err)
			}
			last := dev.take()
			row := make([]int32, gridSteps)
			for i := range uint32(gridSteps) {
				n, ok := last[i]
				if !ok {
					t.Fatalf("%v: fraction %g: feature %d got nothing", v, p, i)
				}
				row[i] = n
			}
			got[v] = append(got[v], row)
		}
		if err := c.Disconnect(ctx); err != nil {
			t.Error(err)
		}
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}
	var diffs []string
	for pc := range 99 {
		for s := range gridSteps {
			if a, b := got[protocol.Version4][pc][s], got[protocol.Version3][pc][s]; a != b {
				diffs = append(diffs, fmt.Sprintf("%g of %d steps: client %d, server %d", float64(pc+1)/100, s+1, a, b))
			}
		}
	}
	if len(diffs) > 0 {
		t.Errorf("%d of %d fraction/step pairs differ, e.g. %v", len(diffs), 99*gridSteps, diffs[:min(len(diffs), 5)])
	}
}
