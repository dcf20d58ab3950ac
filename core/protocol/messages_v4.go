package protocol

// DeviceList (spec v4) lists the devices keyed by device index. It answers
// RequestDeviceList with that request's Id, and the server pushes it with Id 0
// whenever a device comes or goes.
type DeviceList struct {
	ID      uint32                `json:"Id" bp:"id=server"`
	Devices map[uint32]DeviceInfo `json:"Devices"`
}

// DeviceInfo is one device of a spec v4 DeviceList.
type DeviceInfo struct {
	DeviceName             string             `json:"DeviceName"`
	DeviceIndex            uint32             `json:"DeviceIndex"`
	DeviceDisplayName      string             `json:"DeviceDisplayName,omitempty"`
	DeviceMessageTimingGap uint32             `json:"DeviceMessageTimingGap"`
	DeviceFeatures         map[uint32]Feature `json:"DeviceFeatures"`
}

// Feature is one feature of a spec v4 device: the outputs it drives and the
// inputs it reads. Servers have sent "FeatureDescriptor" for the description;
// both spellings are read, "FeatureDescription" is written.
type Feature struct {
	FeatureIndex       uint32                    `json:"FeatureIndex"`
	FeatureDescription string                    `json:"FeatureDescription" bp:"alias=FeatureDescriptor"`
	Output             map[OutputType]OutputSpec `json:"Output,omitempty"`
	Input              map[InputType]InputSpec   `json:"Input,omitempty"`
}

// OutputSpec is the value range an output accepts, in steps. A negative
// minimum means the output is signed (rotation direction, cooling).
// HwPositionWithDuration also has a Duration range in milliseconds.
type OutputSpec struct {
	Value    Range  `json:"Value"`
	Duration *Range `json:"Duration,omitempty"`
}

// InputSpec is what an input reports (Value ranges) and which commands it
// accepts.
type InputSpec struct {
	Value   RangeList          `json:"Value"`
	Command []InputCommandType `json:"Command"`
}

// Range is an inclusive [min, max] pair.
type Range [2]int32

// Min is the lower bound.
func (r Range) Min() int32 { return r[0] }

// Max is the upper bound.
func (r Range) Max() int32 { return r[1] }

// Contains reports whether v lies inside the range.
func (r Range) Contains(v int32) bool { return v >= r[0] && v <= r[1] }

// RangeList is a list of ranges, written [[min,max],...]. A single flat
// [min,max] pair, as some clients send, is read as a one-element list.
type RangeList []Range

// OutputCmd (spec v4) sets one output of one feature.
type OutputCmd struct {
	ID           uint32        `json:"Id" bp:"id=client"`
	DeviceIndex  uint32        `json:"DeviceIndex"`
	FeatureIndex uint32        `json:"FeatureIndex"`
	Command      OutputCommand `json:"Command"`
}

// OutputCommand is the single-key Command object of an OutputCmd:
// {"Vibrate":{"Value":10}} or {"HwPositionWithDuration":{"Value":91,"Duration":150}}.
// Value is in steps of the feature's range; Duration (ms) is used only by
// HwPositionWithDuration.
type OutputCommand struct {
	Type     OutputType
	Value    int32
	Duration uint32
}

// InputCmd (spec v4) reads, subscribes to or unsubscribes from one input.
type InputCmd struct {
	ID           uint32           `json:"Id" bp:"id=client"`
	DeviceIndex  uint32           `json:"DeviceIndex"`
	FeatureIndex uint32           `json:"FeatureIndex"`
	Type         InputType        `json:"Type"`
	Command      InputCommandType `json:"Command"`
}

// InputReading (spec v4) answers a Read with its Id, or carries a subscribed
// reading with Id 0.
type InputReading struct {
	ID           uint32     `json:"Id" bp:"id=server"`
	DeviceIndex  uint32     `json:"DeviceIndex"`
	FeatureIndex uint32     `json:"FeatureIndex"`
	Reading      InputValue `json:"Reading"`
}

// InputValue is the single-key Reading object: {"Battery":{"Value":50}}.
type InputValue struct {
	Type  InputType
	Value int32
}

// StopCmd (spec v4) stops everything, one device, or one feature. Nil fields
// are left out: no DeviceIndex means every device; Inputs and Outputs default
// to true on the server.
type StopCmd struct {
	ID           uint32  `json:"Id" bp:"id=client"`
	DeviceIndex  *uint32 `json:"DeviceIndex,omitempty"`
	FeatureIndex *uint32 `json:"FeatureIndex,omitempty"`
	Inputs       *bool   `json:"Inputs,omitempty"`
	Outputs      *bool   `json:"Outputs,omitempty"`
}
