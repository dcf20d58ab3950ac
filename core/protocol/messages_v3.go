package protocol

// DeviceListV3 answers RequestDeviceList in spec v3.
type DeviceListV3 struct {
	ID      uint32         `json:"Id" bp:"id=client"`
	Devices []DeviceInfoV3 `json:"Devices"`
}

// DeviceAddedV3 is the spec v3 event that a device arrived.
type DeviceAddedV3 struct {
	ID uint32 `json:"Id" bp:"id=system"`
	DeviceInfoV3
}

// DeviceInfoV3 is one spec v3 device.
type DeviceInfoV3 struct {
	DeviceName             string           `json:"DeviceName"`
	DeviceIndex            uint32           `json:"DeviceIndex"`
	DeviceDisplayName      string           `json:"DeviceDisplayName,omitempty"`
	DeviceMessageTimingGap *uint32          `json:"DeviceMessageTimingGap,omitempty"`
	DeviceMessages         DeviceMessagesV3 `json:"DeviceMessages"`
}

// DeviceMessagesV3 lists the commands a spec v3 device accepts. The position
// of an attribute in its slice is the index commands use: ScalarCmd index 2 is
// ScalarCmd[2], whatever its actuator type.
type DeviceMessagesV3 struct {
	StopDeviceCmd      *NullAttributes       `json:"StopDeviceCmd,omitempty"`
	ScalarCmd          []GenericAttributesV3 `json:"ScalarCmd,omitempty" bp:"minitems=1"`
	LinearCmd          []GenericAttributesV3 `json:"LinearCmd,omitempty"`
	RotateCmd          []GenericAttributesV3 `json:"RotateCmd,omitempty"`
	SensorReadCmd      []SensorAttributes    `json:"SensorReadCmd,omitempty"`
	SensorSubscribeCmd []SensorAttributes    `json:"SensorSubscribeCmd,omitempty"`
	RawReadCmd         *RawAttributes        `json:"RawReadCmd,omitempty"`
	RawWriteCmd        *RawAttributes        `json:"RawWriteCmd,omitempty"`
	RawSubscribeCmd    *RawAttributes        `json:"RawSubscribeCmd,omitempty"`
}

// NullAttributes is the empty attribute object of commands without attributes.
type NullAttributes struct{}

// GenericAttributesV3 describes one actuator of a spec v3 device.
type GenericAttributesV3 struct {
	FeatureDescriptor string       `json:"FeatureDescriptor,omitempty"`
	StepCount         uint32       `json:"StepCount,omitempty" bp:"min=1"`
	ActuatorType      ActuatorType `json:"ActuatorType,omitempty"`
}

// SensorAttributes describes one sensor of a spec v3 device.
type SensorAttributes struct {
	FeatureDescriptor string     `json:"FeatureDescriptor"`
	SensorType        SensorType `json:"SensorType"`
	SensorRange       RangeList  `json:"SensorRange" bp:"minitems=1"`
}

// RawAttributes lists the endpoints raw commands may use.
type RawAttributes struct {
	Endpoints []string `json:"Endpoints,omitempty" bp:"minitems=1"`
}

// ScalarCmd (spec v3) sets one or more actuators to a value in [0, 1].
type ScalarCmd struct {
	ID          uint32             `json:"Id" bp:"id=client"`
	DeviceIndex uint32             `json:"DeviceIndex"`
	Scalars     []ScalarSubcommand `json:"Scalars" bp:"minitems=1"`
}

// ScalarSubcommand sets the actuator at Index (a ScalarCmd attribute
// position) whose type must be ActuatorType.
type ScalarSubcommand struct {
	Index        uint32       `json:"Index"`
	Scalar       float64      `json:"Scalar"`
	ActuatorType ActuatorType `json:"ActuatorType"`
}

// SensorReadCmd (spec v3) reads a sensor once.
type SensorReadCmd struct {
	ID          uint32     `json:"Id" bp:"id=client"`
	DeviceIndex uint32     `json:"DeviceIndex"`
	SensorIndex uint32     `json:"SensorIndex"`
	SensorType  SensorType `json:"SensorType"`
}

// SensorSubscribeCmd (spec v3) subscribes to a sensor.
type SensorSubscribeCmd struct {
	ID          uint32     `json:"Id" bp:"id=client"`
	DeviceIndex uint32     `json:"DeviceIndex"`
	SensorIndex uint32     `json:"SensorIndex"`
	SensorType  SensorType `json:"SensorType"`
}

// SensorUnsubscribeCmd (spec v3) ends a sensor subscription.
type SensorUnsubscribeCmd struct {
	ID          uint32     `json:"Id" bp:"id=client"`
	DeviceIndex uint32     `json:"DeviceIndex"`
	SensorIndex uint32     `json:"SensorIndex"`
	SensorType  SensorType `json:"SensorType"`
}

// SensorReading (spec v3) answers SensorReadCmd, or carries a subscribed
// reading with Id 0. Data items are signed: RSSI readings are negative.
type SensorReading struct {
	ID          uint32     `json:"Id" bp:"id=server"`
	DeviceIndex uint32     `json:"DeviceIndex"`
	SensorIndex uint32     `json:"SensorIndex"`
	SensorType  SensorType `json:"SensorType"`
	Data        []int32    `json:"Data"`
}
