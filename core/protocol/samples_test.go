package protocol

func u32(v uint32) *uint32 { return &v }
func boolp(v bool) *bool   { return &v }

// sample is one populated message and the spec versions it belongs to.
type sample struct {
	versions []Version
	msg      Message
}

// samples returns one populated value of every message type. Tests check
// that the list covers the whole registry.
func samples() []sample {
	v3info := DeviceInfoV3{
		DeviceName: "Lovense Edge", DeviceIndex: 1, DeviceDisplayName: "My Edge", DeviceMessageTimingGap: u32(100),
		DeviceMessages: DeviceMessagesV3{
			StopDeviceCmd: &NullAttributes{},
			ScalarCmd: []GenericAttributesV3{
				{FeatureDescriptor: "Inner", StepCount: 20, ActuatorType: ActuatorVibrate},
				{FeatureDescriptor: "Pump", StepCount: 3, ActuatorType: ActuatorConstrict},
			},
			LinearCmd:          []GenericAttributesV3{{FeatureDescriptor: "Stroker", StepCount: 100, ActuatorType: ActuatorPosition}},
			RotateCmd:          []GenericAttributesV3{{StepCount: 20, ActuatorType: ActuatorRotate}},
			SensorReadCmd:      []SensorAttributes{{FeatureDescriptor: "Battery Level", SensorType: SensorBattery, SensorRange: RangeList{{0, 100}}}},
			SensorSubscribeCmd: []SensorAttributes{{FeatureDescriptor: "Pressure", SensorType: SensorPressure, SensorRange: RangeList{{0, 1000}}}},
			RawReadCmd:         &RawAttributes{Endpoints: []string{"rx"}},
			RawWriteCmd:        &RawAttributes{Endpoints: []string{"tx"}},
			RawSubscribeCmd:    &RawAttributes{Endpoints: []string{"rx"}},
		},
	}
	v2info := DeviceInfoV2{DeviceName: "Lovense Edge", DeviceIndex: 1, DeviceMessages: DeviceMessagesV2{
		"VibrateCmd": {FeatureCount: 2, StepCount: []uint32{20, 20}}, "StopDeviceCmd": {},
		"BatteryLevelCmd": {}, "RawWriteCmd": {Endpoints: []string{"tx"}},
	}}
	v1info := DeviceInfoV1{DeviceName: "Lovense Edge", DeviceIndex: 1, DeviceMessages: DeviceMessagesV1{
		"VibrateCmd": {FeatureCount: 2}, "StopDeviceCmd": {}, "SingleMotorVibrateCmd": {},
	}}
	v0info := DeviceInfoV0{DeviceName: "Lovense Edge", DeviceIndex: 1, DeviceMessages: []MessageNameV0{"SingleMotorVibrateCmd", "StopDeviceCmd"}}
	v4info := DeviceInfo{
		DeviceName: "Lovense Nora", DeviceIndex: 0, DeviceDisplayName: "Nora", DeviceMessageTimingGap: 100,
		DeviceFeatures: map[uint32]Feature{
			0: {FeatureIndex: 0, FeatureDescription: "", Output: map[OutputType]OutputSpec{OutputVibrate: {Value: Range{0, 20}}}},
			1: {FeatureIndex: 1, FeatureDescription: "Rotator", Output: map[OutputType]OutputSpec{OutputRotate: {Value: Range{-20, 20}}}},
			2: {FeatureIndex: 2, FeatureDescription: "Battery Level", Input: map[InputType]InputSpec{
				InputBattery: {Value: RangeList{{0, 100}}, Command: []InputCommandType{InputCommandRead}}}},
			3: {FeatureIndex: 3, FeatureDescription: "Stroker", Output: map[OutputType]OutputSpec{
				OutputPosition:               {Value: Range{0, 100}},
				OutputHwPositionWithDuration: {Value: Range{0, 100}, Duration: &Range{0, 10000}},
			}},
			4: {FeatureIndex: 4, FeatureDescription: "Pressure", Input: map[InputType]InputSpec{
				InputPressure: {Value: RangeList{{0, 65535}}, Command: []InputCommandType{InputCommandRead, InputCommandSubscribe, InputCommandUnsubscribe}}}},
		},
	}
	all := allVersions
	return []sample{
		{all, &Ok{ID: 7}},
		{all, &Error{ID: 0, ErrorMessage: "Server received invalid JSON.", ErrorCode: ErrorMsg}},
		{all, &Ping{ID: 5}},
		{v0to1, &Test{ID: 3, TestString: "Echo"}},
		{v0to2, &RequestLog{ID: 4, LogLevel: LogDebug}},
		{v0to2, &Log{ID: 0, LogLevel: LogInfo, LogMessage: "hello"}},
		{[]Version{Version0}, &RequestServerInfoV0{ID: 1, ClientName: "App"}},
		{v1to3, &RequestServerInfoV1{ID: 1, ClientName: "App", MessageVersion: 3}},
		{[]Version{Version4}, &RequestServerInfo{ID: 1, ClientName: "App", ProtocolVersionMajor: 4, ProtocolVersionMinor: 0}},
		{v0to1, &ServerInfoV0{ID: 1, ServerName: "Buttplug Server", MessageVersion: 1, MajorVersion: 1, MinorVersion: 2, BuildVersion: 3, MaxPingTime: 0}},
		{v2to3, &ServerInfoV2{ID: 1, ServerName: "Buttplug Server", MessageVersion: 3, MaxPingTime: 500}},
		{[]Version{Version4}, &ServerInfo{ID: 1, ServerName: "S", ProtocolVersionMajor: 4, ProtocolVersionMinor: 0, MaxPingTime: 1000}},
		{[]Version{Version4}, &Disconnect{ID: 9}},
		{all, &StartScanning{ID: 2}},
		{all, &StopScanning{ID: 3}},
		{all, &ScanningFinished{ID: 0}},
		{all, &RequestDeviceList{ID: 4}},
		{[]Version{Version0}, &DeviceListV0{ID: 4, Devices: []DeviceInfoV0{v0info}}},
		{[]Version{Version1}, &DeviceListV1{ID: 4, Devices: []DeviceInfoV1{v1info}}},
		{[]Version{Version2}, &DeviceListV2{ID: 4, Devices: []DeviceInfoV2{v2info}}},
		{[]Version{Version3}, &DeviceListV3{ID: 4, Devices: []DeviceInfoV3{v3info}}},
		{[]Version{Version4}, &DeviceList{ID: 0, Devices: map[uint32]DeviceInfo{0: v4info}}},
		{[]Version{Version0}, &DeviceAddedV0{ID: 0, DeviceInfoV0: v0info}},
		{[]Version{Version1}, &DeviceAddedV1{ID: 0, DeviceInfoV1: v1info}},
		{[]Version{Version2}, &DeviceAddedV2{ID: 0, DeviceInfoV2: v2info}},
		{[]Version{Version3}, &DeviceAddedV3{ID: 0, DeviceInfoV3: v3info}},
		{v0to3, &DeviceRemoved{ID: 0, DeviceIndex: 1}},
		{v0to3, &StopDeviceCmd{ID: 5, DeviceIndex: 1}},
		{v0to3, &StopAllDevices{ID: 6}},
		{[]Version{Version4}, &OutputCmd{ID: 1, DeviceIndex: 0, FeatureIndex: 0, Command: OutputCommand{Type: OutputVibrate, Value: 10}}},
		{[]Version{Version4}, &InputCmd{ID: 3, DeviceIndex: 0, FeatureIndex: 2, Type: InputBattery, Command: InputCommandRead}},
		{[]Version{Version4}, &InputReading{ID: 3, DeviceIndex: 0, FeatureIndex: 2, Reading: InputValue{Type: InputBattery, Value: 50}}},
		{[]Version{Version4}, &StopCmd{ID: 5, DeviceIndex: u32(0), FeatureIndex: u32(3), Inputs: boolp(true), Outputs: boolp(false)}},
		{[]Version{Version3}, &ScalarCmd{ID: 1, DeviceIndex: 0, Scalars: []ScalarSubcommand{
			{Index: 0, Scalar: 0.5, ActuatorType: ActuatorVibrate}, {Index: 1, Scalar: 1, ActuatorType: ActuatorConstrict}}}},
		{v1to3, &LinearCmd{ID: 2, DeviceIndex: 0, Vectors: []LinearVector{{Index: 0, Duration: 500, Position: 0.3}}}},
		{v1to3, &RotateCmd{ID: 3, DeviceIndex: 0, Rotations: []RotateSubcommand{{Index: 0, Speed: 0.5, Clockwise: true}}}},
		{v1to2, &VibrateCmd{ID: 3, DeviceIndex: 0, Speeds: []VibrateSpeed{{Index: 0, Speed: 0.25}, {Index: 1, Speed: 1}}}},
		{[]Version{Version3}, &SensorReadCmd{ID: 4, DeviceIndex: 0, SensorIndex: 0, SensorType: SensorBattery}},
		{[]Version{Version3}, &SensorSubscribeCmd{ID: 5, DeviceIndex: 0, SensorIndex: 0, SensorType: SensorPressure}},
		{[]Version{Version3}, &SensorUnsubscribeCmd{ID: 6, DeviceIndex: 0, SensorIndex: 0, SensorType: SensorPressure}},
		{[]Version{Version3}, &SensorReading{ID: 4, DeviceIndex: 0, SensorIndex: 0, SensorType: SensorBattery, Data: []int32{87}}},
		{[]Version{Version2}, &BatteryLevelCmd{ID: 7, DeviceIndex: 0}},
		{[]Version{Version2}, &BatteryLevelReading{ID: 7, DeviceIndex: 0, BatteryLevel: 0.87}},
		{[]Version{Version2}, &RSSILevelCmd{ID: 8, DeviceIndex: 0}},
		{[]Version{Version2}, &RSSILevelReading{ID: 8, DeviceIndex: 0, RSSILevel: 0.5}},
		{v2to3, &RawWriteCmd{ID: 7, DeviceIndex: 0, Endpoint: "tx", Data: ByteArray{0, 1, 255}, WriteWithResponse: true}},
		{v2to3, &RawReadCmd{ID: 8, DeviceIndex: 0, Endpoint: "rx", Length: 4, WaitForData: true}},
		{v2to3, &RawReading{ID: 0, DeviceIndex: 0, Endpoint: "rx", Data: ByteArray{0, 1, 0}}},
		{v2to3, &RawSubscribeCmd{ID: 9, DeviceIndex: 0, Endpoint: "rx"}},
		{v2to3, &RawUnsubscribeCmd{ID: 10, DeviceIndex: 0, Endpoint: "rx"}},
		{v0to1, &SingleMotorVibrateCmd{ID: 2, DeviceIndex: 0, Speed: 0.5}},
		{v0to1, &FleshlightLaunchFW12Cmd{ID: 2, DeviceIndex: 0, Speed: 50, Position: 99}},
		{v0to1, &LovenseCmd{ID: 2, DeviceIndex: 0, Command: "Vibrate:20;"}},
		{v0to1, &KiirooCmd{ID: 2, DeviceIndex: 0, Command: "4,"}},
		{v0to1, &VorzeA10CycloneCmd{ID: 2, DeviceIndex: 0, Speed: 100, Clockwise: true}},
	}
}
