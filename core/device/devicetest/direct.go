package devicetest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// NewDirectClient is a ClientFactory that executes messages on the device
// manager directly, converting them to spec v4 outputs and inputs the way
// the reference client does.
func NewDirectClient(_ context.Context, env *Env) (Client, error) {
	return &direct{m: env.Manager}, nil
}

type direct struct {
	m *device.Manager

	mu    sync.Mutex
	added []AddedDevice
}

func (c *direct) StartScanning(ctx context.Context) error { return c.m.StartScanning(ctx) }

func (c *direct) WaitDevices(ctx context.Context, n int) ([]AddedDevice, error) {
	for {
		c.mu.Lock()
		if len(c.added) >= n {
			out := append([]AddedDevice(nil), c.added...)
			c.mu.Unlock()
			return out, nil
		}
		c.mu.Unlock()
		select {
		case e, ok := <-c.m.Events():
			if !ok {
				return nil, device.ErrClosed
			}
			if e.Kind == device.DeviceAdded {
				c.mu.Lock()
				c.added = append(c.added, AddedDevice{Index: e.Index, Name: e.Device.Name(), DisplayName: e.Device.DisplayName()})
				c.mu.Unlock()
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d device(s) added: %w", len(c.added), n, ctx.Err())
		}
	}
}

func (c *direct) Close() error { return nil }

func (c *direct) device(index uint32) (*device.Device, error) {
	d, ok := c.m.Device(index)
	if !ok {
		return nil, fmt.Errorf("no device %d", index)
	}
	return d, nil
}

// ToSteps converts a client fraction (0-1) to steps of a range's maximum
// with protocol.Steps, the conversion the client and server use.
func ToSteps(v float64, max int32) (int32, error) { return protocol.Steps(v, protocol.Range{0, max}) }

// scalarOrder is the order of the v3 ScalarCmd attribute list within one
// feature.
var scalarOrder = []protocol.OutputType{
	protocol.OutputConstrict, protocol.OutputOscillate, protocol.OutputPosition, protocol.OutputRotate,
	protocol.OutputTemperature, protocol.OutputLed, protocol.OutputVibrate, protocol.OutputSpray,
}

// featuresWith returns the features having an enabled output of type t, by
// index.
func featuresWith(def *config.Definition, t protocol.OutputType) []*config.Feature {
	var out []*config.Feature
	for i := range def.Features {
		if def.Features[i].HasOutput(t) {
			out = append(out, &def.Features[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// ScalarFeatures returns, for each entry of the v3 ScalarCmd attribute
// list, its feature.
func ScalarFeatures(def *config.Definition) []*config.Feature {
	var out []*config.Feature
	for i := range def.Features {
		f := &def.Features[i]
		for _, t := range scalarOrder {
			if f.HasOutput(t) {
				out = append(out, f)
			}
		}
	}
	return out
}

func (c *direct) Send(ctx context.Context, index uint32, msg Message) error {
	d, err := c.device(index)
	if err != nil {
		return err
	}
	def := d.Definition()
	if msg.Kind == MsgStop {
		return d.Stop(ctx, nil, true, true)
	}
	var outs []device.FeatureOutput
	for _, s := range msg.Subs {
		var (
			f    *config.Feature
			typ  protocol.OutputType
			sign int32 = 1
		)
		switch msg.Kind {
		case MsgVibrate:
			typ = protocol.OutputVibrate
			if fs := featuresWith(def, typ); int(s.Index) < len(fs) {
				f = fs[s.Index]
			}
		case MsgRotate:
			typ = protocol.OutputRotate
			if fs := featuresWith(def, typ); int(s.Index) < len(fs) {
				f = fs[s.Index]
			}
			if !s.Clockwise {
				sign = -1
			}
		case MsgLinear:
			typ = protocol.OutputHwPositionWithDuration
			if fs := featuresWith(def, typ); int(s.Index) < len(fs) {
				f = fs[s.Index]
			}
		case MsgScalar:
			typ = protocol.OutputType(s.ActuatorType)
			if fs := ScalarFeatures(def); int(s.Index) < len(fs) {
				f = fs[s.Index]
			}
		default:
			return fmt.Errorf("unsupported message %s", msg.Kind)
		}
		if f == nil {
			return fmt.Errorf("index %d: no such %s actuator", s.Index, msg.Kind)
		}
		o := f.Output(typ)
		if o == nil || o.Disabled {
			return fmt.Errorf("index %d: feature %d has no %s output", s.Index, f.Index, typ)
		}
		v, err := ToSteps(s.Value, o.Steps().Max())
		if err != nil {
			return fmt.Errorf("index %d: %w", s.Index, err)
		}
		outs = append(outs, device.FeatureOutput{Feature: f.Index, Command: protocol.OutputCommand{Type: typ, Value: v * sign, Duration: s.Duration}})
	}
	return d.Outputs(ctx, outs)
}

func (c *direct) input(ctx context.Context, index uint32, typ protocol.InputType) (int32, error) {
	d, err := c.device(index)
	if err != nil {
		return 0, err
	}
	for _, f := range d.Definition().Features {
		if f.Input(typ) != nil {
			return d.Input(ctx, f.Index, typ, protocol.InputCommandRead)
		}
	}
	return 0, fmt.Errorf("device %d has no %s input", index, typ)
}

func (c *direct) Battery(ctx context.Context, index uint32) (float64, error) {
	v, err := c.input(ctx, index, protocol.InputBattery)
	return float64(v) / 100, err
}

func (c *direct) RSSI(ctx context.Context, index uint32) (int32, error) {
	return c.input(ctx, index, protocol.InputRssi)
}
