package server

import (
	"context"

	"github.com/bphost/bphost/core/protocol"
)

// DeviceManager is the device layer as the server sees it. Everything is in
// spec v4 terms (features, steps); sessions of older clients are translated
// by the server. core/device's Manager is adapted to it by FromDeviceManager.
type DeviceManager interface {
	// StartScanning starts every communication manager; calling it while
	// scanning is not an error.
	StartScanning(ctx context.Context) error
	// StopScanning stops scanning; calling it while idle is not an error.
	StopScanning(ctx context.Context) error
	// Devices returns the connected devices ordered by index.
	Devices() []Device
	// Device returns the device with the given index.
	Device(index uint32) (Device, bool)
	// Events delivers device arrivals and departures, the end of scanning and
	// subscribed input readings. It is read by the server for its whole life.
	Events() <-chan DeviceEvent
	// StopAll stops every output of every device and ends every input
	// subscription.
	StopAll(ctx context.Context) error
}

// Device is one connected device.
type Device interface {
	// Info describes the device in spec v4 form (its index, names, message
	// timing gap and features).
	Info() protocol.DeviceInfo
	// Output sets one output of one feature to a value in steps, inside the
	// range Info advertises.
	Output(ctx context.Context, feature uint32, cmd protocol.OutputCommand) error
	// Input reads, subscribes to or unsubscribes from one input. A Read
	// returns the reading; the others return 0.
	Input(ctx context.Context, feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) (int32, error)
	// Stop stops the outputs and/or unsubscribes the inputs of one feature,
	// or of the whole device when feature is nil.
	Stop(ctx context.Context, feature *uint32, inputs, outputs bool) error
}

// DeviceEventKind says what a DeviceEvent reports.
type DeviceEventKind int

// Device event kinds.
const (
	DeviceAdded DeviceEventKind = iota + 1
	DeviceRemoved
	ScanningFinished
	InputReading
)

// DeviceEvent is one event of the device layer.
type DeviceEvent struct {
	Kind DeviceEventKind
	// Device is set for DeviceAdded.
	Device Device
	// Index is the device index, for every kind but ScanningFinished.
	Index uint32
	// Reading is set for InputReading (its Id is 0).
	Reading protocol.InputReading
}
