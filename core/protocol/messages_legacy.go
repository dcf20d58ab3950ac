package protocol

import (
	"maps"
	"slices"
)

// DeviceListV2 answers RequestDeviceList in spec v2.
type DeviceListV2 struct {
	ID      uint32         `json:"Id" bp:"id=client"`
	Devices []DeviceInfoV2 `json:"Devices"`
}

// DeviceAddedV2 is the spec v2 event that a device arrived.
type DeviceAddedV2 struct {
	ID uint32 `json:"Id" bp:"id=system"`
	DeviceInfoV2
}

// DeviceInfoV2 is one spec v2 device.
type DeviceInfoV2 struct {
	DeviceName     string           `json:"DeviceName"`
	DeviceIndex    uint32           `json:"DeviceIndex"`
	DeviceMessages DeviceMessagesV2 `json:"DeviceMessages"`
}

// DeviceMessagesV2 maps each accepted command name to its attributes.
type DeviceMessagesV2 map[string]MessageAttributesV2

// MessageAttributesV2 holds the attributes of one spec v2 command: the
// feature count and per-feature step counts of VibrateCmd, LinearCmd and
// RotateCmd, the endpoints of raw commands, nothing for the others.
type MessageAttributesV2 struct {
	FeatureCount uint32   `json:"FeatureCount,omitempty" bp:"min=1"`
	StepCount    []uint32 `json:"StepCount,omitempty" bp:"minitems=1,min=1"`
	Endpoints    []string `json:"Endpoints,omitempty" bp:"minitems=1"`
}

// DeviceListV1 answers RequestDeviceList in spec v1.
type DeviceListV1 struct {
	ID      uint32         `json:"Id" bp:"id=client"`
	Devices []DeviceInfoV1 `json:"Devices"`
}

// DeviceAddedV1 is the spec v1 event that a device arrived.
type DeviceAddedV1 struct {
	ID uint32 `json:"Id" bp:"id=system"`
	DeviceInfoV1
}

// DeviceInfoV1 is one spec v1 device.
type DeviceInfoV1 struct {
	DeviceName     string           `json:"DeviceName"`
	DeviceIndex    uint32           `json:"DeviceIndex"`
	DeviceMessages DeviceMessagesV1 `json:"DeviceMessages"`
}

// DeviceMessagesV1 maps each accepted command name to its attributes.
type DeviceMessagesV1 map[string]MessageAttributesV1

// MessageAttributesV1 holds the feature count of VibrateCmd, LinearCmd and
// RotateCmd in spec v1; other commands have no attributes.
type MessageAttributesV1 struct {
	FeatureCount uint32 `json:"FeatureCount,omitempty" bp:"min=1"`
}

// DeviceListV0 answers RequestDeviceList in spec v0.
type DeviceListV0 struct {
	ID      uint32         `json:"Id" bp:"id=client"`
	Devices []DeviceInfoV0 `json:"Devices"`
}

// DeviceAddedV0 is the spec v0 event that a device arrived.
type DeviceAddedV0 struct {
	ID uint32 `json:"Id" bp:"id=system"`
	DeviceInfoV0
}

// DeviceInfoV0 is one spec v0 device; it lists command names only.
type DeviceInfoV0 struct {
	DeviceName     string          `json:"DeviceName"`
	DeviceIndex    uint32          `json:"DeviceIndex"`
	DeviceMessages []MessageNameV0 `json:"DeviceMessages"`
}

// MessageNameV0 is a command name a spec v0 device can list.
type MessageNameV0 string

var messageNamesV0 = map[string]string{
	"FleshlightLaunchFW12Cmd": "FleshlightLaunchFW12Cmd", "SingleMotorVibrateCmd": "SingleMotorVibrateCmd",
	"StopDeviceCmd": "StopDeviceCmd", "KiirooCmd": "KiirooCmd", "LovenseCmd": "LovenseCmd",
	"VorzeA10CycloneCmd": "VorzeA10CycloneCmd",
}

func (MessageNameV0) canonical(s string) (string, bool) { return lookup(messageNamesV0, s) }
func (MessageNameV0) names() map[string]string          { return messageNamesV0 }

// Which attributes each command of a spec v1/v2 device list may carry.
const (
	attrNone     = iota // {}
	attrFeatures        // FeatureCount (and in v2 StepCount)
	attrRaw             // Endpoints
)

var (
	deviceMessagesV1 = map[string]int{
		"StopDeviceCmd": attrNone, "VibrateCmd": attrFeatures, "LinearCmd": attrFeatures, "RotateCmd": attrFeatures,
		"LovenseCmd": attrNone, "VorzeA10CycloneCmd": attrNone, "KiirooCmd": attrNone,
		"SingleMotorVibrateCmd": attrNone, "FleshlightLaunchFW12Cmd": attrNone,
	}
	deviceMessagesV2 = map[string]int{
		"StopDeviceCmd": attrNone, "VibrateCmd": attrFeatures, "LinearCmd": attrFeatures, "RotateCmd": attrFeatures,
		"BatteryLevelCmd": attrNone, "RSSILevelCmd": attrNone, "RawReadCmd": attrRaw, "RawWriteCmd": attrRaw,
		"RawSubscribeCmd": attrRaw, "RawUnsubscribeCmd": attrRaw,
	}
)

// check enforces the schema's per-command attribute shapes, taking the
// commands in name order so that the error reported is always the same.
func (m DeviceMessagesV1) check() *fieldErr {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		kind, ok := deviceMessagesV1[name]
		if !ok {
			return (&fieldErr{err: ErrInvalidEnum, detail: "not a spec v1 device message"}).raw("[" + name + "]")
		}
		if kind != attrFeatures && m[name].FeatureCount != 0 {
			return (&fieldErr{err: ErrUnknownField, detail: name + " has no attributes"}).raw("[" + name + "].FeatureCount")
		}
	}
	return nil
}

// check enforces the schema's per-command attribute shapes, taking the
// commands in name order so that the error reported is always the same.
func (m DeviceMessagesV2) check() *fieldErr {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		kind, ok := deviceMessagesV2[name]
		if !ok {
			return (&fieldErr{err: ErrInvalidEnum, detail: "not a spec v2 device message"}).raw("[" + name + "]")
		}
		if a := m[name]; kind != attrFeatures && (a.FeatureCount != 0 || a.StepCount != nil) {
			return (&fieldErr{err: ErrUnknownField, detail: name + " has no feature attributes"}).raw("[" + name + "]")
		}
		if kind != attrRaw && m[name].Endpoints != nil {
			return (&fieldErr{err: ErrUnknownField, detail: name + " has no endpoints"}).raw("[" + name + "].Endpoints")
		}
	}
	return nil
}

// VibrateCmd (spec v1–v2) sets vibrator speeds; Index counts vibrators only.
type VibrateCmd struct {
	ID          uint32         `json:"Id" bp:"id=client"`
	DeviceIndex uint32         `json:"DeviceIndex"`
	Speeds      []VibrateSpeed `json:"Speeds" bp:"minitems=1"`
}

// VibrateSpeed is one vibrator's speed in [0, 1].
type VibrateSpeed struct {
	Index uint32  `json:"Index"`
	Speed float64 `json:"Speed" bp:"min=0,max=1"`
}

// LinearCmd (spec v1–v3) moves linear actuators to Position over Duration ms.
type LinearCmd struct {
	ID          uint32         `json:"Id" bp:"id=client"`
	DeviceIndex uint32         `json:"DeviceIndex"`
	Vectors     []LinearVector `json:"Vectors"`
}

// LinearVector is one linear movement.
type LinearVector struct {
	Index    uint32  `json:"Index"`
	Duration uint32  `json:"Duration"`
	Position float64 `json:"Position" bp:"min=0,max=1"`
}

// RotateCmd (spec v1–v3) sets rotation speeds and directions.
type RotateCmd struct {
	ID          uint32             `json:"Id" bp:"id=client"`
	DeviceIndex uint32             `json:"DeviceIndex"`
	Rotations   []RotateSubcommand `json:"Rotations" bp:"minitems=1"`
}

// RotateSubcommand is one rotator's speed in [0, 1] and direction.
type RotateSubcommand struct {
	Index     uint32  `json:"Index"`
	Speed     float64 `json:"Speed" bp:"min=0,max=1"`
	Clockwise bool    `json:"Clockwise"`
}

// BatteryLevelCmd (spec v2) reads the battery.
type BatteryLevelCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
}

// BatteryLevelReading (spec v2) answers BatteryLevelCmd with a level in [0, 1].
type BatteryLevelReading struct {
	ID           uint32  `json:"Id" bp:"id=client"`
	DeviceIndex  uint32  `json:"DeviceIndex"`
	BatteryLevel float64 `json:"BatteryLevel" bp:"min=0,max=1"`
}

// RSSILevelCmd (spec v2) reads the radio signal strength.
type RSSILevelCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
}

// RSSILevelReading (spec v2) answers RSSILevelCmd.
type RSSILevelReading struct {
	ID          uint32  `json:"Id" bp:"id=client"`
	DeviceIndex uint32  `json:"DeviceIndex"`
	RSSILevel   float64 `json:"RSSILevel" bp:"min=0,max=1"`
}

// RawWriteCmd (spec v2–v3) writes bytes to a device endpoint.
type RawWriteCmd struct {
	ID                uint32    `json:"Id" bp:"id=client"`
	DeviceIndex       uint32    `json:"DeviceIndex"`
	Endpoint          string    `json:"Endpoint"`
	Data              ByteArray `json:"Data" bp:"minitems=1"`
	WriteWithResponse bool      `json:"WriteWithResponse"`
}

// RawReadCmd (spec v2–v3) reads bytes from a device endpoint. The reference
// server's "ExpectedLength" is read as Length.
type RawReadCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Endpoint    string `json:"Endpoint"`
	Length      uint32 `json:"Length" bp:"alias=ExpectedLength"`
	WaitForData bool   `json:"WaitForData"`
}

// RawReading (spec v2–v3) carries bytes read from, or notified by, an endpoint.
type RawReading struct {
	ID          uint32    `json:"Id" bp:"id=server"`
	DeviceIndex uint32    `json:"DeviceIndex"`
	Endpoint    string    `json:"Endpoint"`
	Data        ByteArray `json:"Data" bp:"minitems=1"`
}

// RawSubscribeCmd (spec v2–v3) subscribes to an endpoint's notifications.
type RawSubscribeCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Endpoint    string `json:"Endpoint"`
}

// RawUnsubscribeCmd (spec v2–v3) ends an endpoint subscription.
type RawUnsubscribeCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Endpoint    string `json:"Endpoint"`
}

// ByteArray is raw device data, written as a JSON array of numbers 0..255
// (not base64).
type ByteArray []byte

// SingleMotorVibrateCmd (spec v0–v1) sets every vibrator to Speed in [0, 1].
type SingleMotorVibrateCmd struct {
	ID          uint32  `json:"Id" bp:"id=client"`
	DeviceIndex uint32  `json:"DeviceIndex"`
	Speed       float64 `json:"Speed" bp:"min=0,max=1"`
}

// FleshlightLaunchFW12Cmd (spec v0–v1) moves a Fleshlight Launch.
type FleshlightLaunchFW12Cmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Speed       uint32 `json:"Speed" bp:"max=99"`
	Position    uint32 `json:"Position" bp:"max=99"`
}

// LovenseCmd (spec v0–v1) sends a Lovense command string.
type LovenseCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Command     string `json:"Command"`
}

// KiirooCmd (spec v0–v1) sends a Kiiroo command string.
type KiirooCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Command     string `json:"Command"`
}

// VorzeA10CycloneCmd (spec v0–v1) rotates a Vorze A10 Cyclone.
type VorzeA10CycloneCmd struct {
	ID          uint32 `json:"Id" bp:"id=client"`
	DeviceIndex uint32 `json:"DeviceIndex"`
	Speed       uint32 `json:"Speed" bp:"max=100"`
	Clockwise   bool   `json:"Clockwise"`
}
