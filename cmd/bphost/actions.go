package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/protocol"
)

// indexFlag is a --device or --feature index; set tells whether it was
// given.
type indexFlag struct {
	what  string // "device" or "feature", for the error
	index uint32
	set   bool
}

func (f *indexFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return fmt.Sprint(f.index)
}

func (f *indexFlag) Set(s string) error {
	var n uint64
	if _, err := fmt.Sscan(s, &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(s) || n > math.MaxUint32 {
		return fmt.Errorf("%q is not a %s index (0, 1, ...; see `bphost devices`)", s, f.what)
	}
	f.index, f.set = uint32(n), true
	return nil
}

func deviceIndex() indexFlag  { return indexFlag{what: "device"} }
func featureIndex() indexFlag { return indexFlag{what: "feature"} }

// outputKinds maps each output command to its output type.
var outputKinds = map[string]protocol.OutputType{
	"vibrate":   protocol.OutputVibrate,
	"rotate":    protocol.OutputRotate,
	"oscillate": protocol.OutputOscillate,
	"constrict": protocol.OutputConstrict,
	"inflate":   protocol.OutputInflate,
	"position":  protocol.OutputPosition,
}

// outputResult is what an output command reports with --json.
type outputResult struct {
	Device   uint32   `json:"device"`
	Name     string   `json:"name"`
	Action   string   `json:"action"`
	Feature  *uint32  `json:"feature,omitempty"`
	Level    float64  `json:"level"`
	Duration string   `json:"duration,omitempty"`
	Stopped  bool     `json:"stopped"`
	Features []uint32 `json:"features"`
}

// outputCmd returns the body of vibrate, rotate, position and the others.
// --duration holds the level that long and then stops the device; for
// position it is the time the move takes.
func outputCmd(name string) func(a *app, fs *flag.FlagSet) func(context.Context) error {
	typ := outputKinds[name]
	return func(a *app, fs *flag.FlagSet) func(context.Context) error {
		dev, feat := deviceIndex(), featureIndex()
		fs.Var(&dev, "device", "device `index` (see `bphost devices`)")
		fs.Var(&feat, "feature", "feature `index`; default every "+strings.ToLower(string(typ))+" feature of the device")
		level := fs.Float64("level", math.NaN(), "level as a `fraction` from 0 (off) to 1 (full)")
		durHelp := "hold the level this `long`, then stop (default: set it and exit; servers stop devices when the client leaves)"
		if typ == protocol.OutputPosition {
			durHelp = "take this `long` to move (linear devices); default: move at the device's own speed"
		}
		dur := fs.Duration("duration", 0, durHelp)
		ccw := false
		if typ == protocol.OutputRotate {
			fs.BoolVar(&ccw, "ccw", false, "rotate counter-clockwise")
		}
		return func(ctx context.Context) error {
			if !dev.set {
				return usageError("%s: --device is required", name)
			}
			if math.IsNaN(*level) {
				return usageError("%s: --level is required (0 to 1)", name)
			}
			if *level < 0 || *level > 1 || math.IsInf(*level, 0) {
				return usageError("%s: --level %g is outside 0..1", name, *level)
			}
			if *dur < 0 {
				return usageError("%s: --duration must not be negative", name)
			}
			return a.withClient(ctx, func(ctx context.Context, c *client.Client) error {
				d, err := a.findDevice(ctx, c, dev.index)
				if err != nil {
					return err
				}
				features, err := targetFeatures(d, typ, feat)
				if err != nil {
					return err
				}
				res := outputResult{Device: d.Index(), Name: d.Name(), Action: name, Level: *level, Features: features}
				if feat.set {
					res.Feature = &feat.index
				}
				rctx, cancel := context.WithTimeout(ctx, a.g.timeout)
				err = runOutput(rctx, d, typ, feat, *level, !ccw, *dur)
				cancel()
				if err != nil {
					return fmt.Errorf("%s device %d (%s): %w", name, d.Index(), d.Name(), err)
				}
				if !a.g.json {
					fmt.Fprintf(a.stdout, "device %d (%s): %s %s at %g%s\n", d.Index(), d.Name(), name, featureList(features), *level, directionText(typ, ccw))
				}
				if *dur > 0 && typ != protocol.OutputPosition {
					res.Duration = dur.String()
					if err := holdThenStop(ctx, a, c, d, *dur); err != nil {
						return err
					}
					res.Stopped = true
					if !a.g.json {
						fmt.Fprintf(a.stdout, "device %d (%s): stopped after %s\n", d.Index(), d.Name(), *dur)
					}
				}
				if a.g.json {
					return writeJSON(a.stdout, res)
				}
				return nil
			})
		}
	}
}

// targetFeatures returns the features an output command drives, for its
// report and to refuse a command the device cannot take with a message
// naming the device: the one asked for, or every feature with that output.
// The command itself goes through the client's own methods (runOutput).
func targetFeatures(d *client.Device, typ protocol.OutputType, feat indexFlag) ([]uint32, error) {
	want := []protocol.OutputType{typ}
	if typ == protocol.OutputPosition {
		want = append(want, protocol.OutputHwPositionWithDuration)
	}
	has := func(f client.Feature) bool {
		return slices.ContainsFunc(want, func(t protocol.OutputType) bool { _, ok := f.Output(t); return ok })
	}
	if feat.set {
		f, ok := d.Feature(feat.index)
		if !ok {
			return nil, fmt.Errorf("device %d (%s) has no feature %d (see `bphost devices`)", d.Index(), d.Name(), feat.index)
		}
		if !has(f) {
			return nil, fmt.Errorf("feature %d of device %d (%s) has no %s output (it has %s)", feat.index, d.Index(), d.Name(), typ, outputsText(f))
		}
		return []uint32{feat.index}, nil
	}
	var out []uint32
	for _, f := range d.Features() {
		if has(f) {
			out = append(out, f.Index)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("device %d (%s) has no %s output", d.Index(), d.Name(), typ)
	}
	return out, nil
}

// defaultMoveTime is how long a position move takes when the device only
// takes moves with a duration (HwPositionWithDuration, LinearCmd) and none
// was given.
const defaultMoveTime = 500 * time.Millisecond

// runOutput sends one output command through the client's own method for
// it: to the feature asked for, or to every feature with that output.
func runOutput(ctx context.Context, d *client.Device, typ protocol.OutputType, feat indexFlag, level float64, clockwise bool, dur time.Duration) error {
	v := client.Fraction(level)
	switch typ {
	case protocol.OutputVibrate:
		if feat.set {
			return d.VibrateFeature(ctx, feat.index, v)
		}
		return d.Vibrate(ctx, v)
	case protocol.OutputRotate:
		// The client knows how each server encodes the direction.
		if feat.set {
			return d.RotateFeature(ctx, feat.index, v, clockwise)
		}
		return d.Rotate(ctx, v, clockwise)
	case protocol.OutputPosition:
		return runPosition(ctx, d, feat, v, dur)
	}
	if feat.set {
		return d.Output(ctx, feat.index, typ, v)
	}
	switch typ {
	case protocol.OutputOscillate:
		return d.Oscillate(ctx, v)
	case protocol.OutputConstrict:
		return d.Constrict(ctx, v)
	case protocol.OutputInflate:
		return d.Inflate(ctx, v)
	}
	return fmt.Errorf("no command for %s outputs", typ)
}

// runPosition moves to v: with Position where the device has it and no
// duration was asked for, else with HwPositionWithDuration (LinearCmd under
// spec v3) over dur, or defaultMoveTime.
func runPosition(ctx context.Context, d *client.Device, feat indexFlag, v client.Value, dur time.Duration) error {
	hasPos := d.HasOutput(protocol.OutputPosition)
	if feat.set {
		f, _ := d.Feature(feat.index)
		_, hasPos = f.Output(protocol.OutputPosition)
	}
	if dur == 0 && hasPos {
		if feat.set {
			return d.Output(ctx, feat.index, protocol.OutputPosition, v)
		}
		return d.Position(ctx, v)
	}
	if dur == 0 {
		dur = defaultMoveTime
	}
	if feat.set {
		return d.PositionWithDurationFeature(ctx, feat.index, v, dur)
	}
	return d.PositionWithDuration(ctx, v, dur)
}

// holdThenStop waits for dur (or an interrupt) and stops the device; the
// stop is sent even when interrupted. When the session ends or the device
// goes away during the hold (server, connector or plugin gone), it returns
// at once with the cause: there is nothing left to stop, and a server stops
// the devices of a client that is gone.
func holdThenStop(ctx context.Context, a *app, c *client.Client, d *client.Device, dur time.Duration) error {
	start := time.Now()
	if err := hold(ctx, c, d, dur); err != nil {
		return fmt.Errorf("device %d (%s): held %s of %s: %w", d.Index(), d.Name(), time.Since(start).Round(time.Millisecond), dur, err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.g.timeout)
	defer cancel()
	if err := d.Stop(sctx); err != nil {
		return fmt.Errorf("stop device %d (%s): %w", d.Index(), d.Name(), err)
	}
	return ctx.Err()
}

// hold waits for dur or ctx; it fails with errConnectionLost and the cause
// as soon as the session ends or the device is removed.
func hold(ctx context.Context, c *client.Client, d *client.Device, dur time.Duration) error {
	sub := c.Subscribe(16)
	defer sub.Close()
	t := time.NewTimer(dur)
	defer t.Stop()
	if !c.Connected() { // ended before the subscription could see it
		return fmt.Errorf("%w: the session ended", errConnectionLost)
	}
	for {
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return nil // interrupted: stop the device and report ctx's error
		case ev, ok := <-sub.C():
			if !ok {
				return fmt.Errorf("%w: event stream closed", errConnectionLost)
			}
			switch e := ev.(type) {
			case client.Disconnected:
				return fmt.Errorf("%w: %w", errConnectionLost, e.Err)
			case client.DeviceRemoved:
				// A session's end removes every device first; its
				// Disconnected, with the cause, follows.
				if e.Device == d && c.Connected() {
					return fmt.Errorf("%w: the server removed the device", errConnectionLost)
				}
			}
		}
	}
}

func featureList(fs []uint32) string {
	if len(fs) == 1 {
		return fmt.Sprintf("feature %d", fs[0])
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprint(f)
	}
	return "features " + strings.Join(parts, ",")
}

func directionText(typ protocol.OutputType, ccw bool) string {
	if typ != protocol.OutputRotate {
		return ""
	}
	if ccw {
		return " counter-clockwise"
	}
	return " clockwise"
}

func batteryCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	dev := deviceIndex()
	fs.Var(&dev, "device", "device `index`")
	return func(ctx context.Context) error {
		if !dev.set {
			return usageError("battery: --device is required")
		}
		return a.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			d, err := a.findDevice(ctx, c, dev.index)
			if err != nil {
				return err
			}
			rctx, cancel := context.WithTimeout(ctx, a.g.timeout)
			defer cancel()
			level, err := d.Battery(rctx)
			if err != nil {
				return fmt.Errorf("battery of device %d (%s): %w", d.Index(), d.Name(), err)
			}
			if a.g.json {
				return writeJSON(a.stdout, map[string]any{"device": d.Index(), "name": d.Name(), "battery": level})
			}
			fmt.Fprintf(a.stdout, "device %d (%s): battery %d%%\n", d.Index(), d.Name(), level)
			return nil
		})
	}
}

func readCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	dev, feat := deviceIndex(), featureIndex()
	fs.Var(&dev, "device", "device `index`")
	fs.Var(&feat, "feature", "feature `index` of the input")
	typName := fs.String("type", "", "input `type` (Battery, Rssi, Pressure, Button, Depth, Position); default the feature's only readable input")
	return func(ctx context.Context) error {
		if !dev.set || !feat.set {
			return usageError("read: --device and --feature are required")
		}
		var typ protocol.InputType
		if *typName != "" {
			t, err := parseInputType(*typName)
			if err != nil {
				return usageError("read: %v", err)
			}
			typ = t
		}
		return a.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			d, err := a.findDevice(ctx, c, dev.index)
			if err != nil {
				return err
			}
			f, ok := d.Feature(feat.index)
			if !ok {
				return fmt.Errorf("device %d (%s) has no feature %d (see `bphost devices`)", d.Index(), d.Name(), feat.index)
			}
			if typ == "" {
				var readable []protocol.InputType
				for _, in := range f.Inputs {
					if in.Supports(protocol.InputCommandRead) {
						readable = append(readable, in.Type)
					}
				}
				switch len(readable) {
				case 0:
					return fmt.Errorf("feature %d of device %d (%s) has no readable input", f.Index, d.Index(), d.Name())
				case 1:
					typ = readable[0]
				default:
					return usageError("read: feature %d has several inputs (%v); choose one with --type", f.Index, readable)
				}
			}
			rctx, cancel := context.WithTimeout(ctx, a.g.timeout)
			defer cancel()
			vals, err := d.ReadInput(rctx, f.Index, typ)
			if err != nil {
				return fmt.Errorf("read %s of device %d (%s) feature %d: %w", typ, d.Index(), d.Name(), f.Index, err)
			}
			if a.g.json {
				return writeJSON(a.stdout, map[string]any{"device": d.Index(), "name": d.Name(), "feature": f.Index, "type": typ, "values": vals})
			}
			fmt.Fprintf(a.stdout, "device %d (%s) feature %d: %s %s\n", d.Index(), d.Name(), f.Index, typ, joinInts(vals))
			return nil
		})
	}
}

// parseInputType accepts an input type in any letter case.
func parseInputType(s string) (protocol.InputType, error) {
	for _, t := range protocol.InputTypes {
		if strings.EqualFold(string(t), s) {
			return t, nil
		}
	}
	var names []string
	for _, t := range protocol.InputTypes {
		names = append(names, string(t))
	}
	return "", fmt.Errorf("unknown input type %q (one of %s)", s, strings.Join(names, ", "))
}

func joinInts(vs []int32) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, " ")
}

func stopCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	dev := deviceIndex()
	fs.Var(&dev, "device", "device `index`; default every device")
	return func(ctx context.Context) error {
		return a.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			rctx, cancel := context.WithTimeout(ctx, a.g.timeout)
			defer cancel()
			if !dev.set {
				if err := c.StopAllDevices(rctx); err != nil {
					return fmt.Errorf("stop all devices: %w", err)
				}
				if a.g.json {
					return writeJSON(a.stdout, map[string]any{"stopped": "all"})
				}
				fmt.Fprintln(a.stdout, "stopped every device")
				return nil
			}
			d, err := a.findDevice(ctx, c, dev.index)
			if err != nil {
				return err
			}
			if err := d.Stop(rctx); err != nil {
				return fmt.Errorf("stop device %d (%s): %w", d.Index(), d.Name(), err)
			}
			if a.g.json {
				return writeJSON(a.stdout, map[string]any{"stopped": d.Index(), "name": d.Name()})
			}
			fmt.Fprintf(a.stdout, "device %d (%s): stopped\n", d.Index(), d.Name())
			return nil
		})
	}
}
