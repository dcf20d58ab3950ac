package server

import (
	"errors"
	"fmt"
	"sort"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/protocol"
)

// view is a device as spec v0–v3 clients see it: the spec v3 attribute
// arrays, which v1 and v2 derive from, and the feature behind each entry.
// Commands of old clients index these arrays, so the same view turns a
// device list into old shapes and old commands into spec v4 outputs.
type view struct {
	info   protocol.DeviceInfo
	scalar []actuator // ScalarCmd
	rotate []actuator // RotateCmd: signed rotators only
	linear []actuator // LinearCmd: HwPositionWithDuration
	read   []sensor   // SensorReadCmd
	sub    []sensor   // SensorSubscribeCmd
}

// actuator is one entry of a ScalarCmd, RotateCmd or LinearCmd array.
type actuator struct {
	feature uint32
	typ     protocol.OutputType
	steps   int32 // the top of the advertised range
	desc    string
}

// sensor is one entry of a SensorReadCmd or SensorSubscribeCmd array.
type sensor struct {
	feature uint32
	typ     protocol.InputType
	sensor  protocol.SensorType
	ranges  protocol.RangeList
	desc    string
}

// scalarOrder is the order of a feature's outputs in the ScalarCmd array,
// the reference server's order. Outputs spec v3 has no actuator type for
// (Temperature, Led, Spray) are left out; Inflate, which the reference
// lacks, sits beside Constrict.
var scalarOrder = []protocol.OutputType{
	protocol.OutputConstrict, protocol.OutputInflate, protocol.OutputOscillate,
	protocol.OutputPosition, protocol.OutputRotate, protocol.OutputVibrate,
}

var sensorTypes = map[protocol.InputType]protocol.SensorType{
	protocol.InputBattery:  protocol.SensorBattery,
	protocol.InputRssi:     protocol.SensorRSSI,
	protocol.InputPressure: protocol.SensorPressure,
	protocol.InputButton:   protocol.SensorButton,
}

// noDescription fills a missing FeatureDescriptor, as the reference does.
const noDescription = "N/A"

func newView(info protocol.DeviceInfo) *view {
	v := &view{info: info}
	idx := make([]uint32, 0, len(info.DeviceFeatures))
	for i := range info.DeviceFeatures {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	for _, i := range idx {
		f := info.DeviceFeatures[i]
		desc := f.FeatureDescription
		if desc == "" {
			desc = noDescription
		}
		for _, t := range scalarOrder {
			if o, ok := f.Output[t]; ok {
				v.scalar = append(v.scalar, actuator{feature: f.FeatureIndex, typ: t, steps: o.Value.Max(), desc: desc})
			}
		}
		if o, ok := f.Output[protocol.OutputRotate]; ok && o.Value.Min() < 0 {
			v.rotate = append(v.rotate, actuator{feature: f.FeatureIndex, typ: protocol.OutputRotate, steps: o.Value.Max(), desc: desc})
		}
		if o, ok := f.Output[protocol.OutputHwPositionWithDuration]; ok {
			v.linear = append(v.linear, actuator{feature: f.FeatureIndex, typ: protocol.OutputHwPositionWithDuration, steps: o.Value.Max(), desc: desc})
		}
		for _, t := range protocol.InputTypes {
			in, ok := f.Input[t]
			st, known := sensorTypes[t]
			if !ok || !known {
				continue
			}
			s := sensor{feature: f.FeatureIndex, typ: t, sensor: st, ranges: in.Value, desc: desc}
			for _, c := range in.Command {
				switch c {
				case protocol.InputCommandRead:
					v.read = append(v.read, s)
				case protocol.InputCommandSubscribe:
					v.sub = append(v.sub, s)
				}
			}
		}
	}
	return v
}

// vibrators are the ScalarCmd entries that vibrate: what VibrateCmd
// indexes and SingleMotorVibrateCmd drives.
func (v *view) vibrators() []actuator {
	var out []actuator
	for _, a := range v.scalar {
		if a.typ == protocol.OutputVibrate {
			out = append(out, a)
		}
	}
	return out
}

// readSensor returns the first readable sensor of type t.
func (v *view) readSensor(t protocol.InputType) (sensor, bool) {
	for _, s := range v.read {
		if s.typ == t {
			return s, true
		}
	}
	return sensor{}, false
}

func generic(as []actuator, typ protocol.ActuatorType) []protocol.GenericAttributesV3 {
	out := make([]protocol.GenericAttributesV3, len(as))
	for i, a := range as {
		t := typ
		if t == "" {
			t = protocol.ActuatorType(a.typ)
		}
		out[i] = protocol.GenericAttributesV3{FeatureDescriptor: a.desc, StepCount: uint32(max(a.steps, 0)), ActuatorType: t}
	}
	return out
}

func sensors(ss []sensor) []protocol.SensorAttributes {
	out := make([]protocol.SensorAttributes, len(ss))
	for i, s := range ss {
		out[i] = protocol.SensorAttributes{FeatureDescriptor: s.desc, SensorType: s.sensor, SensorRange: s.ranges}
	}
	return out
}

func (v *view) v3() protocol.DeviceInfoV3 {
	gap := v.info.DeviceMessageTimingGap
	return protocol.DeviceInfoV3{
		DeviceName:             v.info.DeviceName,
		DeviceIndex:            v.info.DeviceIndex,
		DeviceDisplayName:      v.info.DeviceDisplayName,
		DeviceMessageTimingGap: &gap,
		DeviceMessages: protocol.DeviceMessagesV3{
			StopDeviceCmd:      &protocol.NullAttributes{},
			ScalarCmd:          nilIfEmpty(generic(v.scalar, "")),
			RotateCmd:          nilIfEmpty(generic(v.rotate, protocol.ActuatorRotate)),
			LinearCmd:          nilIfEmpty(generic(v.linear, protocol.ActuatorPosition)),
			SensorReadCmd:      nilIfEmpty(sensors(v.read)),
			SensorSubscribeCmd: nilIfEmpty(sensors(v.sub)),
		},
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func stepCounts(as []actuator) []uint32 {
	out := make([]uint32, len(as))
	for i, a := range as {
		out[i] = uint32(max(a.steps, 1))
	}
	return out
}

func (v *view) v2() protocol.DeviceInfoV2 {
	m := protocol.DeviceMessagesV2{"StopDeviceCmd": {}}
	add := func(name string, as []actuator) {
		if len(as) > 0 {
			m[name] = protocol.MessageAttributesV2{FeatureCount: uint32(len(as)), StepCount: stepCounts(as)}
		}
	}
	add("VibrateCmd", v.vibrators())
	add("RotateCmd", v.rotate)
	add("LinearCmd", v.linear)
	if _, ok := v.readSensor(protocol.InputBattery); ok {
		m["BatteryLevelCmd"] = protocol.MessageAttributesV2{}
	}
	return protocol.DeviceInfoV2{DeviceName: v.info.DeviceName, DeviceIndex: v.info.DeviceIndex, DeviceMessages: m}
}

func (v *view) v1() protocol.DeviceInfoV1 {
	m := protocol.DeviceMessagesV1{"StopDeviceCmd": {}}
	add := func(name string, as []actuator) {
		if len(as) > 0 {
			m[name] = protocol.MessageAttributesV1{FeatureCount: uint32(len(as))}
		}
	}
	add("VibrateCmd", v.vibrators())
	add("RotateCmd", v.rotate)
	add("LinearCmd", v.linear)
	if len(v.vibrators()) > 0 {
		m["SingleMotorVibrateCmd"] = protocol.MessageAttributesV1{}
	}
	return protocol.DeviceInfoV1{DeviceName: v.info.DeviceName, DeviceIndex: v.info.DeviceIndex, DeviceMessages: m}
}

func (v *view) v0() protocol.DeviceInfoV0 {
	names := []protocol.MessageNameV0{"StopDeviceCmd"}
	if len(v.vibrators()) > 0 {
		names = append(names, "SingleMotorVibrateCmd")
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return protocol.DeviceInfoV0{DeviceName: v.info.DeviceName, DeviceIndex: v.info.DeviceIndex, DeviceMessages: names}
}

// Errors of old commands. Values outside [0, 1] are bad message contents
// (ERROR_MSG); indexes the device does not have are device errors.
var (
	errNoActuator = errors.New("no such actuator")
	errNoSensor   = errors.New("no such sensor")
)

// fractionOutput is the output setting one old subcommand asks for.
func fractionOutput(a actuator, t protocol.OutputType, v float64, negative bool, duration uint32) (device.FeatureOutput, error) {
	// Old clients send a fraction of the StepCount they were shown (the top
	// of the range); protocol.Steps is the conversion our client applies
	// to v4 outputs, so both give the device the same steps.
	n, err := protocol.Steps(v, protocol.Range{0, a.steps})
	if err != nil {
		return device.FeatureOutput{}, protocol.NewError(0, protocol.ErrorMsg, "feature %d %s: %v", a.feature, t, err)
	}
	if negative {
		n = -n
	}
	return device.FeatureOutput{Feature: a.feature, Command: protocol.OutputCommand{Type: t, Value: n, Duration: duration}}, nil
}

func pick(as []actuator, i uint32, what string) (actuator, error) {
	if int(i) >= len(as) {
		return actuator{}, protocol.NewError(0, protocol.ErrorDevice, "%s index %d: %v (the device has %d)", what, i, errNoActuator, len(as))
	}
	return as[i], nil
}

// sorted orders outputs by feature, as the reference executes them.
func sorted(outs []device.FeatureOutput) []device.FeatureOutput {
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Feature < outs[j].Feature })
	return outs
}

// outputs translates an old output command into spec v4 outputs. ok is
// false when m is not an output command.
func (v *view) outputs(m protocol.Message) (outs []device.FeatureOutput, ok bool, err error) {
	add := func(o device.FeatureOutput, e error) {
		if err == nil && e != nil {
			err = e
		}
		outs = append(outs, o)
	}
	switch m := m.(type) {
	case *protocol.ScalarCmd:
		for _, s := range m.Scalars {
			a, e := pick(v.scalar, s.Index, "ScalarCmd")
			if e != nil {
				return nil, true, e
			}
			t := protocol.OutputType(s.ActuatorType)
			if f := v.info.DeviceFeatures[a.feature]; !hasOutput(f, t) {
				return nil, true, protocol.NewError(0, protocol.ErrorDevice, "ScalarCmd index %d: feature %d has no %s actuator", s.Index, a.feature, s.ActuatorType)
			}
			a.steps = v.info.DeviceFeatures[a.feature].Output[t].Value.Max()
			add(fractionOutput(a, t, s.Scalar, false, 0))
		}
	case *protocol.VibrateCmd:
		vib := v.vibrators()
		for _, s := range m.Speeds {
			a, e := pick(vib, s.Index, "VibrateCmd")
			if e != nil {
				return nil, true, e
			}
			add(fractionOutput(a, protocol.OutputVibrate, s.Speed, false, 0))
		}
	case *protocol.SingleMotorVibrateCmd:
		vib := v.vibrators()
		if len(vib) == 0 {
			return nil, true, protocol.NewError(0, protocol.ErrorDevice, "SingleMotorVibrateCmd: the device has no vibrator")
		}
		for _, a := range vib {
			add(fractionOutput(a, protocol.OutputVibrate, m.Speed, false, 0))
		}
	case *protocol.RotateCmd:
		for _, s := range m.Rotations {
			a, e := pick(v.rotate, s.Index, "RotateCmd")
			if e != nil {
				return nil, true, e
			}
			add(fractionOutput(a, protocol.OutputRotate, s.Speed, !s.Clockwise, 0))
		}
	case *protocol.LinearCmd:
		if len(m.Vectors) == 0 {
			return nil, true, protocol.NewError(0, protocol.ErrorMsg, "LinearCmd has no vectors")
		}
		for _, s := range m.Vectors {
			a, e := pick(v.linear, s.Index, "LinearCmd")
			if e != nil {
				return nil, true, e
			}
			add(fractionOutput(a, protocol.OutputHwPositionWithDuration, s.Position, false, s.Duration))
		}
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return sorted(outs), true, nil
}

func hasOutput(f protocol.Feature, t protocol.OutputType) bool {
	_, ok := f.Output[t]
	return ok
}

// sensorFor resolves a spec v3 sensor command: SensorIndex counts entries
// of the SensorReadCmd array for reads and of SensorSubscribeCmd for
// subscriptions.
func (v *view) sensorFor(list []sensor, index uint32, t protocol.SensorType, what string) (sensor, error) {
	if int(index) >= len(list) {
		return sensor{}, protocol.NewError(0, protocol.ErrorDevice, "%s index %d: %v (the device has %d)", what, index, errNoSensor, len(list))
	}
	s := list[index]
	if s.sensor != t {
		return sensor{}, protocol.NewError(0, protocol.ErrorDevice, "%s index %d is a %s sensor, not %s", what, index, s.sensor, t)
	}
	return s, nil
}

// errCode is the Buttplug code a device-layer failure is reported with.
func errCode(err error) protocol.ErrorCode {
	if c, ok := protocol.CodeOf(err); ok {
		return c
	}
	return protocol.ErrorDevice
}

// asError turns err into the Error reply of request id.
func asError(id uint32, err error) *protocol.Error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return &protocol.Error{ID: id, ErrorCode: pe.ErrorCode, ErrorMessage: pe.ErrorMessage}
	}
	return &protocol.Error{ID: id, ErrorCode: errCode(err), ErrorMessage: fmt.Sprint(err)}
}
