package protocol

//go:generate go run ./internal/genmessages

// Message is one Buttplug protocol message. Every message type of this
// package implements it with a pointer receiver.
type Message interface {
	// MessageName is the wire name, the single key of the message object.
	MessageName() string
	// MessageID is the message Id: 0 for server events, 1..4294967295 for
	// client requests and the replies to them.
	MessageID() uint32
	// SetMessageID sets the Id; a client sets it just before sending.
	SetMessageID(id uint32)
}

// newFunc makes an empty message of one type.
type newFunc func() Message

// registry maps each wire name to its Go type per spec version (nil where the
// version does not have the message).
var registry = map[string]*[CurrentVersion + 1]newFunc{}

// register records that name decodes to the type made by fn in each of versions.
func register(name string, fn newFunc, versions ...Version) {
	e := registry[name]
	if e == nil {
		e = new([CurrentVersion + 1]newFunc)
		registry[name] = e
	}
	for _, v := range versions {
		e[v] = fn
	}
}

var (
	allVersions = []Version{Version0, Version1, Version2, Version3, Version4}
	v0to3       = []Version{Version0, Version1, Version2, Version3}
	v1to3       = []Version{Version1, Version2, Version3}
	v2to3       = []Version{Version2, Version3}
	v0to1       = []Version{Version0, Version1}
	v0to2       = []Version{Version0, Version1, Version2}
	v1to2       = []Version{Version1, Version2}
)

func init() {
	// Status and handshake.
	register("Ok", func() Message { return new(Ok) }, allVersions...)
	register("Error", func() Message { return new(Error) }, allVersions...)
	register("Ping", func() Message { return new(Ping) }, allVersions...)
	register("Test", func() Message { return new(Test) }, v0to1...)
	register("RequestLog", func() Message { return new(RequestLog) }, v0to2...)
	register("Log", func() Message { return new(Log) }, v0to2...)
	register("RequestServerInfo", func() Message { return new(RequestServerInfoV0) }, Version0)
	register("RequestServerInfo", func() Message { return new(RequestServerInfoV1) }, v1to3...)
	register("RequestServerInfo", func() Message { return new(RequestServerInfo) }, Version4)
	register("ServerInfo", func() Message { return new(ServerInfoV0) }, v0to1...)
	register("ServerInfo", func() Message { return new(ServerInfoV2) }, v2to3...)
	register("ServerInfo", func() Message { return new(ServerInfo) }, Version4)
	register("Disconnect", func() Message { return new(Disconnect) }, Version4)

	// Enumeration.
	register("StartScanning", func() Message { return new(StartScanning) }, allVersions...)
	register("StopScanning", func() Message { return new(StopScanning) }, allVersions...)
	register("ScanningFinished", func() Message { return new(ScanningFinished) }, allVersions...)
	register("RequestDeviceList", func() Message { return new(RequestDeviceList) }, allVersions...)
	register("DeviceList", func() Message { return new(DeviceListV0) }, Version0)
	register("DeviceList", func() Message { return new(DeviceListV1) }, Version1)
	register("DeviceList", func() Message { return new(DeviceListV2) }, Version2)
	register("DeviceList", func() Message { return new(DeviceListV3) }, Version3)
	register("DeviceList", func() Message { return new(DeviceList) }, Version4)
	register("DeviceAdded", func() Message { return new(DeviceAddedV0) }, Version0)
	register("DeviceAdded", func() Message { return new(DeviceAddedV1) }, Version1)
	register("DeviceAdded", func() Message { return new(DeviceAddedV2) }, Version2)
	register("DeviceAdded", func() Message { return new(DeviceAddedV3) }, Version3)
	register("DeviceRemoved", func() Message { return new(DeviceRemoved) }, v0to3...)

	// Generic device commands.
	register("StopDeviceCmd", func() Message { return new(StopDeviceCmd) }, v0to3...)
	register("StopAllDevices", func() Message { return new(StopAllDevices) }, v0to3...)
	register("OutputCmd", func() Message { return new(OutputCmd) }, Version4)
	register("InputCmd", func() Message { return new(InputCmd) }, Version4)
	register("InputReading", func() Message { return new(InputReading) }, Version4)
	register("StopCmd", func() Message { return new(StopCmd) }, Version4)
	register("ScalarCmd", func() Message { return new(ScalarCmd) }, Version3)
	register("LinearCmd", func() Message { return new(LinearCmd) }, v1to3...)
	register("RotateCmd", func() Message { return new(RotateCmd) }, v1to3...)
	register("VibrateCmd", func() Message { return new(VibrateCmd) }, v1to2...)
	register("SensorReadCmd", func() Message { return new(SensorReadCmd) }, Version3)
	register("SensorSubscribeCmd", func() Message { return new(SensorSubscribeCmd) }, Version3)
	register("SensorUnsubscribeCmd", func() Message { return new(SensorUnsubscribeCmd) }, Version3)
	register("SensorReading", func() Message { return new(SensorReading) }, Version3)
	register("BatteryLevelCmd", func() Message { return new(BatteryLevelCmd) }, Version2)
	register("BatteryLevelReading", func() Message { return new(BatteryLevelReading) }, Version2)
	register("RSSILevelCmd", func() Message { return new(RSSILevelCmd) }, Version2)
	register("RSSILevelReading", func() Message { return new(RSSILevelReading) }, Version2)
	register("RawWriteCmd", func() Message { return new(RawWriteCmd) }, v2to3...)
	register("RawReadCmd", func() Message { return new(RawReadCmd) }, v2to3...)
	register("RawReading", func() Message { return new(RawReading) }, v2to3...)
	register("RawSubscribeCmd", func() Message { return new(RawSubscribeCmd) }, v2to3...)
	register("RawUnsubscribeCmd", func() Message { return new(RawUnsubscribeCmd) }, v2to3...)

	// Spec v0 device-specific commands. LovenseCmd and SingleMotorVibrateCmd
	// are missing from the schema's v1 list but were part of spec v1 and the
	// reference server accepts them there.
	register("SingleMotorVibrateCmd", func() Message { return new(SingleMotorVibrateCmd) }, v0to1...)
	register("FleshlightLaunchFW12Cmd", func() Message { return new(FleshlightLaunchFW12Cmd) }, v0to1...)
	register("LovenseCmd", func() Message { return new(LovenseCmd) }, v0to1...)
	register("KiirooCmd", func() Message { return new(KiirooCmd) }, v0to1...)
	register("VorzeA10CycloneCmd", func() Message { return new(VorzeA10CycloneCmd) }, v0to1...)
}

// New returns an empty message of the type that name has in spec version v,
// or nil when v has no message of that name.
func New(name string, v Version) Message {
	e := registry[name]
	if e == nil || !v.Valid() || e[v] == nil {
		return nil
	}
	return e[v]()
}

// Names returns the message names spec version v has, in no particular order.
func Names(v Version) []string {
	var out []string
	for name, e := range registry {
		if v.Valid() && e[v] != nil {
			out = append(out, name)
		}
	}
	return out
}
