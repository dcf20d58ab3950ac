package config

import (
	"fmt"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Version is the major.minor version of a configuration file.
type Version struct {
	Major, Minor uint32
}

// String returns "major.minor".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Specifier is one way a protocol's devices are recognised, on one bus.
// Exactly one field is set.
type Specifier struct {
	BLE            *BLESpecifier
	Serial         *SerialSpecifier
	HID            *IDSpecifier
	USB            *IDSpecifier
	Websocket      *WebsocketSpecifier
	XInput         bool
	LovenseConnect bool
}

// Bus returns the bus the specifier is for.
func (s Specifier) Bus() comm.Bus {
	switch {
	case s.BLE != nil:
		return comm.BusBLE
	case s.Serial != nil:
		return comm.BusSerial
	case s.HID != nil:
		return comm.BusHID
	case s.USB != nil:
		return comm.BusUSB
	case s.Websocket != nil:
		return comm.BusWebsocket
	case s.XInput:
		return comm.BusXInput
	}
	return "lovense_connect_service"
}

// Services returns the endpoints a device matched by s is opened with.
// Non-BLE specifiers use a single "tx"/"rx" style map when they have none.
func (s Specifier) Services() comm.ServiceMap {
	if s.BLE != nil {
		return s.BLE.Services
	}
	return comm.ServiceMap{"": {comm.EndpointTx: "", comm.EndpointRx: ""}}
}

// BLESpecifier recognises Bluetooth LE devices: by advertised name (exact, or
// a prefix when the name ends in "*"), by manufacturer data, or by advertised
// services; Services names the endpoints.
type BLESpecifier struct {
	Names              []string
	ManufacturerData   []ManufacturerData
	AdvertisedServices []string
	Services           comm.ServiceMap
}

// ManufacturerData matches a BLE company id, and when Data is set, those
// bytes somewhere in the advertised data.
type ManufacturerData struct {
	Company uint16
	Data    []byte
}

// SerialSpecifier recognises a device on a serial port.
type SerialSpecifier struct {
	Port     string
	BaudRate uint32
	DataBits uint8
	StopBits uint8
	Parity   string
}

// IDSpecifier recognises HID or USB devices by vendor and product id.
type IDSpecifier struct {
	Pairs []VIDPID
}

// VIDPID is a vendor id and product id pair.
type VIDPID struct {
	VendorID, ProductID uint16
}

// WebsocketSpecifier recognises a device that dials in to the websocket
// device server and introduces itself with Name.
type WebsocketSpecifier struct {
	Name string
}

// Definition describes one device model, or one known device when it comes
// from a user configuration: its name, features and settings. Values handed
// out by the DB are copies; changing them does not change the DB.
type Definition struct {
	// Protocol is the protocol name, e.g. "lovense".
	Protocol string
	// Identifiers are the protocol identifiers (Lovense model letters, BLE
	// names...) this definition is for; empty for the protocol defaults.
	Identifiers []string
	// ID is the definition's UUID; BaseID is the UUID of the definition a
	// user definition refines.
	ID, BaseID string
	// Name is the model name; DisplayName is the user's name for the device.
	Name, DisplayName string
	// ProtocolVariant selects a variant inside a protocol implementation.
	ProtocolVariant string
	// MessageGap is the minimum time between two writes to the device; nil
	// when the configuration does not say.
	MessageGap *time.Duration
	// Index is the device index reserved for the device (user definitions
	// and definitions returned by Resolve).
	Index uint32
	// Allow and Deny put the device's address on the allow or deny list.
	Allow, Deny bool
	// Features are the device's features in index order.
	Features []Feature
}

// Feature is one feature of a device: what it drives and what it reads.
type Feature struct {
	Index       uint32
	Description string
	ID, BaseID  string
	// AltProtocolIndex is a protocol-specific number some protocols use to
	// address the feature on the wire.
	AltProtocolIndex *uint32
	Outputs          []Output
	Inputs           []Input
}

// Output is one output (actuator) of a feature.
type Output struct {
	Type protocol.OutputType
	// Value is the range of the configuration file, in device steps.
	Value protocol.Range
	// Limit is the user's sub-range of [0, Value.Max], if any.
	Limit *protocol.Range
	// Duration and DurationLimit are the same for the duration of
	// HwPositionWithDuration, in milliseconds.
	Duration      *protocol.Range
	DurationLimit *protocol.Range
	// Disabled hides the output; Reverse mirrors positions.
	Disabled, Reverse bool
}

// Input is one input (sensor) of a feature.
type Input struct {
	Type     protocol.InputType
	Value    protocol.RangeList
	Commands []protocol.InputCommandType
}

// outputOrder is the order outputs are kept in, the reference server's.
var outputOrder = []protocol.OutputType{
	protocol.OutputVibrate, protocol.OutputRotate, protocol.OutputOscillate, protocol.OutputConstrict,
	protocol.OutputInflate, protocol.OutputTemperature, protocol.OutputLed, protocol.OutputPosition,
	protocol.OutputHwPositionWithDuration, protocol.OutputSpray,
}

// configOutputNames maps the file's snake_case output keys to output types.
var configOutputNames = map[string]protocol.OutputType{
	"vibrate":                   protocol.OutputVibrate,
	"rotate":                    protocol.OutputRotate,
	"oscillate":                 protocol.OutputOscillate,
	"constrict":                 protocol.OutputConstrict,
	"temperature":               protocol.OutputTemperature,
	"led":                       protocol.OutputLed,
	"position":                  protocol.OutputPosition,
	"hw_position_with_duration": protocol.OutputHwPositionWithDuration,
	"spray":                     protocol.OutputSpray,
}

var configInputNames = map[string]protocol.InputType{
	"battery":  protocol.InputBattery,
	"rssi":     protocol.InputRssi,
	"pressure": protocol.InputPressure,
	"button":   protocol.InputButton,
	"depth":    protocol.InputDepth,
	"position": protocol.InputPosition,
}

func outputRank(t protocol.OutputType) int {
	for i, o := range outputOrder {
		if o == t {
			return i
		}
	}
	return len(outputOrder)
}

// Output returns the output of type t, or nil.
func (f *Feature) Output(t protocol.OutputType) *Output {
	for i := range f.Outputs {
		if f.Outputs[i].Type == t {
			return &f.Outputs[i]
		}
	}
	return nil
}

// Input returns the input of type t, or nil.
func (f *Feature) Input(t protocol.InputType) *Input {
	for i := range f.Inputs {
		if f.Inputs[i].Type == t {
			return &f.Inputs[i]
		}
	}
	return nil
}

// HasOutput reports whether the feature has an enabled output of type t.
func (f *Feature) HasOutput(t protocol.OutputType) bool {
	o := f.Output(t)
	return o != nil && !o.Disabled
}

// StepCount is the number of steps a client can ask for: the width of the
// user limit, or the maximum of the configured range.
func (o *Output) StepCount() int32 {
	if o.Limit != nil {
		return o.Limit.Max() - o.Limit.Min()
	}
	return o.Value.Max()
}

// Steps is the range advertised to clients: [0, StepCount], or
// [-StepCount, StepCount] for signed outputs (negative minimum in the file).
func (o *Output) Steps() protocol.Range {
	n := o.StepCount()
	if o.Value.Min() < 0 {
		return protocol.Range{-n, n}
	}
	return protocol.Range{0, n}
}

// DurationSteps is the advertised duration range of HwPositionWithDuration.
func (o *Output) DurationSteps() *protocol.Range {
	if o.Duration == nil {
		return nil
	}
	if o.DurationLimit != nil {
		r := protocol.Range{0, o.DurationLimit.Max() - o.DurationLimit.Min()}
		return &r
	}
	r := protocol.Range{0, o.Duration.Max()}
	return &r
}

// DeviceValue converts a client value in steps (inside Steps) into the value
// sent to the device: shifted into the user limit, and mirrored for reversed
// positions. The sign of a signed value is kept.
func (o *Output) DeviceValue(v int32) (int32, error) {
	steps := o.Steps()
	if !steps.Contains(v) {
		return 0, fmt.Errorf("value %d is outside the range [%d, %d] of %s", v, steps.Min(), steps.Max(), o.Type)
	}
	lo, hi := int32(0), o.Value.Max()
	if o.Limit != nil {
		lo, hi = o.Limit.Min(), o.Limit.Max()
	}
	switch o.Type {
	case protocol.OutputPosition, protocol.OutputHwPositionWithDuration:
		// Positions are places, not speeds: 0 is the bottom of the user's
		// limit (or its top when reversed), never outside it.
		if o.Reverse {
			return hi - v, nil
		}
		return lo + v, nil
	}
	if v == 0 {
		return 0, nil
	}
	if v < 0 {
		return -(lo - v), nil
	}
	return lo + v, nil
}

// DeviceDuration converts a client duration (inside DurationSteps) into the
// device's milliseconds.
func (o *Output) DeviceDuration(d uint32) (uint32, error) {
	r := o.DurationSteps()
	if r == nil {
		return d, nil
	}
	if int64(d) > int64(r.Max()) {
		return 0, fmt.Errorf("duration %d ms is outside the range [%d, %d]", d, r.Min(), r.Max())
	}
	if o.DurationLimit != nil {
		return uint32(o.DurationLimit.Min()) + d, nil
	}
	return d, nil
}

// Feature returns the feature with the given index, or nil.
func (d *Definition) Feature(index uint32) *Feature {
	for i := range d.Features {
		if d.Features[i].Index == index {
			return &d.Features[i]
		}
	}
	return nil
}

// Clone returns a deep copy of d.
func (d *Definition) Clone() *Definition {
	c := *d
	c.Identifiers = append([]string(nil), d.Identifiers...)
	if d.MessageGap != nil {
		g := *d.MessageGap
		c.MessageGap = &g
	}
	c.Features = make([]Feature, len(d.Features))
	for i, f := range d.Features {
		nf := f
		if f.AltProtocolIndex != nil {
			a := *f.AltProtocolIndex
			nf.AltProtocolIndex = &a
		}
		nf.Outputs = make([]Output, len(f.Outputs))
		for j, o := range f.Outputs {
			no := o
			no.Limit = cloneRange(o.Limit)
			no.Duration = cloneRange(o.Duration)
			no.DurationLimit = cloneRange(o.DurationLimit)
			nf.Outputs[j] = no
		}
		nf.Inputs = make([]Input, len(f.Inputs))
		for j, in := range f.Inputs {
			nin := in
			nin.Value = append(protocol.RangeList(nil), in.Value...)
			nin.Commands = append([]protocol.InputCommandType(nil), in.Commands...)
			nf.Inputs[j] = nin
		}
		c.Features[i] = nf
	}
	return &c
}

func cloneRange(r *protocol.Range) *protocol.Range {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// DeviceInfo returns the spec v4 description of the device with the given
// index and message gap. Disabled outputs and features with nothing left are
// not advertised.
func (d *Definition) DeviceInfo(index uint32, gap time.Duration) protocol.DeviceInfo {
	info := protocol.DeviceInfo{
		DeviceName:             d.Name,
		DeviceIndex:            index,
		DeviceDisplayName:      d.DisplayName,
		DeviceMessageTimingGap: uint32(gap / time.Millisecond),
		DeviceFeatures:         map[uint32]protocol.Feature{},
	}
	for _, f := range d.Features {
		pf := protocol.Feature{FeatureIndex: f.Index, FeatureDescription: f.Description}
		for _, o := range f.Outputs {
			if o.Disabled {
				continue
			}
			if pf.Output == nil {
				pf.Output = map[protocol.OutputType]protocol.OutputSpec{}
			}
			pf.Output[o.Type] = protocol.OutputSpec{Value: o.Steps(), Duration: o.DurationSteps()}
		}
		for _, in := range f.Inputs {
			if pf.Input == nil {
				pf.Input = map[protocol.InputType]protocol.InputSpec{}
			}
			pf.Input[in.Type] = protocol.InputSpec{
				Value:   append(protocol.RangeList(nil), in.Value...),
				Command: append([]protocol.InputCommandType(nil), in.Commands...),
			}
		}
		if pf.Output == nil && pf.Input == nil {
			continue
		}
		info.DeviceFeatures[f.Index] = pf
	}
	return info
}
