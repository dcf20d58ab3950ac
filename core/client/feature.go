package client

import (
	"math"
	"slices"
	"sort"

	"github.com/bphost/bphost/core/protocol"
)

// Feature is one part of a device: the outputs it drives and the inputs it
// reads. Spec v4 servers number features themselves; for spec v3 servers the
// client numbers them in the order ScalarCmd, RotateCmd, LinearCmd, then
// sensors, and keeps the v3 message indexes for itself.
type Feature struct {
	Index       uint32
	Description string
	// Outputs are sorted in the order of protocol.OutputTypes.
	Outputs []Output
	// Inputs are sorted in the order of protocol.InputTypes.
	Inputs []Input
}

// Output is one output type of a feature and the step values it accepts.
type Output struct {
	Type protocol.OutputType
	// Range is the inclusive step range; a negative minimum means the
	// output is signed (rotation direction, cooling).
	Range protocol.Range
	// Duration is the accepted duration in milliseconds for
	// HwPositionWithDuration, when the server gives one.
	Duration *protocol.Range
}

// Signed reports whether the output accepts negative values.
func (o Output) Signed() bool { return o.Range.Min() < 0 }

// Input is one input type of a feature: the ranges of its readings and the
// commands it accepts.
type Input struct {
	Type     protocol.InputType
	Ranges   protocol.RangeList
	Commands []protocol.InputCommandType
}

// Supports reports whether the input accepts cmd.
func (in Input) Supports(cmd protocol.InputCommandType) bool {
	return slices.Contains(in.Commands, cmd)
}

// Output returns the feature's output of type t.
func (f Feature) Output(t protocol.OutputType) (Output, bool) {
	for _, o := range f.Outputs {
		if o.Type == t {
			return o, true
		}
	}
	return Output{}, false
}

// Input returns the feature's input of type t.
func (f Feature) Input(t protocol.InputType) (Input, bool) {
	for _, in := range f.Inputs {
		if in.Type == t {
			return in, true
		}
	}
	return Input{}, false
}

func (f Feature) clone() Feature {
	c := f
	c.Outputs = slices.Clone(f.Outputs)
	for i := range c.Outputs {
		if d := c.Outputs[i].Duration; d != nil {
			dd := *d
			c.Outputs[i].Duration = &dd
		}
	}
	c.Inputs = slices.Clone(f.Inputs)
	for i := range c.Inputs {
		c.Inputs[i].Ranges = slices.Clone(c.Inputs[i].Ranges)
		c.Inputs[i].Commands = slices.Clone(c.Inputs[i].Commands)
	}
	return c
}

// v3 bookkeeping: where a feature's output or input lives in the spec v3
// attribute arrays.

type v3Kind uint8

const (
	v3None v3Kind = iota
	v3Scalar
	v3Rotate
	v3Linear
)

// v3Route says how to drive a v3 feature's output and read its input.
type v3Route struct {
	kind     v3Kind
	index    uint32 // position in the ScalarCmd/RotateCmd/LinearCmd array
	actuator protocol.ActuatorType
	steps    uint32
	// Sensors: positions in SensorReadCmd / SensorSubscribeCmd, -1 if absent.
	sensorRead, sensorSub int
	sensorType            protocol.SensorType
}

var actuatorOutputs = map[protocol.ActuatorType]protocol.OutputType{
	protocol.ActuatorVibrate:   protocol.OutputVibrate,
	protocol.ActuatorRotate:    protocol.OutputRotate,
	protocol.ActuatorOscillate: protocol.OutputOscillate,
	protocol.ActuatorConstrict: protocol.OutputConstrict,
	protocol.ActuatorInflate:   protocol.OutputInflate,
	protocol.ActuatorPosition:  protocol.OutputPosition,
}

var sensorInputs = map[protocol.SensorType]protocol.InputType{
	protocol.SensorBattery:  protocol.InputBattery,
	protocol.SensorRSSI:     protocol.InputRssi,
	protocol.SensorButton:   protocol.InputButton,
	protocol.SensorPressure: protocol.InputPressure,
}

func inputSensor(t protocol.InputType) (protocol.SensorType, bool) {
	for s, in := range sensorInputs {
		if in == t {
			return s, true
		}
	}
	return "", false
}

func stepRange(steps uint32, signed bool) protocol.Range {
	hi := int32(min(steps, math.MaxInt32))
	if signed {
		return protocol.Range{-hi, hi}
	}
	return protocol.Range{0, hi}
}

// featuresV3 turns spec v3 attributes into features and their routes,
// indexed alike.
func featuresV3(m protocol.DeviceMessagesV3) ([]Feature, []v3Route) {
	var fs []Feature
	var rs []v3Route
	add := func(f Feature, r v3Route) {
		f.Index = uint32(len(fs))
		fs = append(fs, f)
		rs = append(rs, r)
	}
	for i, a := range m.ScalarCmd {
		f := Feature{Description: a.FeatureDescriptor}
		if t, ok := actuatorOutputs[a.ActuatorType]; ok {
			f.Outputs = []Output{{Type: t, Range: stepRange(a.StepCount, false)}}
		}
		add(f, v3Route{kind: v3Scalar, index: uint32(i), actuator: a.ActuatorType, steps: a.StepCount, sensorRead: -1, sensorSub: -1})
	}
	for i, a := range m.RotateCmd {
		f := Feature{Description: a.FeatureDescriptor, Outputs: []Output{{Type: protocol.OutputRotate, Range: stepRange(a.StepCount, true)}}}
		add(f, v3Route{kind: v3Rotate, index: uint32(i), steps: a.StepCount, sensorRead: -1, sensorSub: -1})
	}
	for i, a := range m.LinearCmd {
		f := Feature{Description: a.FeatureDescriptor, Outputs: []Output{{Type: protocol.OutputHwPositionWithDuration, Range: stepRange(a.StepCount, false)}}}
		add(f, v3Route{kind: v3Linear, index: uint32(i), steps: a.StepCount, sensorRead: -1, sensorSub: -1})
	}
	// A sensor listed under both SensorReadCmd and SensorSubscribeCmd is one
	// feature; entries are paired by type and description in order.
	firstSensor := len(fs)
	for i, a := range m.SensorReadCmd {
		f := Feature{Description: a.FeatureDescriptor}
		if t, ok := sensorInputs[a.SensorType]; ok {
			f.Inputs = []Input{{Type: t, Ranges: a.SensorRange, Commands: []protocol.InputCommandType{protocol.InputCommandRead}}}
		}
		add(f, v3Route{sensorRead: i, sensorSub: -1, sensorType: a.SensorType})
	}
	for i, a := range m.SensorSubscribeCmd {
		paired := false
		for j := firstSensor; j < len(fs); j++ {
			r := &rs[j]
			if r.sensorSub < 0 && r.sensorType == a.SensorType && fs[j].Description == a.FeatureDescriptor {
				r.sensorSub = i
				if len(fs[j].Inputs) == 1 {
					fs[j].Inputs[0].Commands = append(fs[j].Inputs[0].Commands, protocol.InputCommandSubscribe, protocol.InputCommandUnsubscribe)
				}
				paired = true
				break
			}
		}
		if paired {
			continue
		}
		f := Feature{Description: a.FeatureDescriptor}
		if t, ok := sensorInputs[a.SensorType]; ok {
			f.Inputs = []Input{{Type: t, Ranges: a.SensorRange, Commands: []protocol.InputCommandType{protocol.InputCommandSubscribe, protocol.InputCommandUnsubscribe}}}
		}
		add(f, v3Route{sensorRead: -1, sensorSub: i, sensorType: a.SensorType})
	}
	return fs, rs
}

// featuresV4 turns a spec v4 feature map into features sorted by index.
func featuresV4(m map[uint32]protocol.Feature) []Feature {
	fs := make([]Feature, 0, len(m))
	for _, pf := range m {
		f := Feature{Index: pf.FeatureIndex, Description: pf.FeatureDescription}
		for _, t := range protocol.OutputTypes {
			if spec, ok := pf.Output[t]; ok {
				o := Output{Type: t, Range: spec.Value}
				if spec.Duration != nil {
					d := *spec.Duration
					o.Duration = &d
				}
				f.Outputs = append(f.Outputs, o)
			}
		}
		for _, t := range protocol.InputTypes {
			if spec, ok := pf.Input[t]; ok {
				f.Inputs = append(f.Inputs, Input{Type: t, Ranges: slices.Clone(spec.Value), Commands: slices.Clone(spec.Command)})
			}
		}
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Index < fs[j].Index })
	return fs
}
