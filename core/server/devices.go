package server

import (
	"context"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/protocol"
)

// DeviceManager is the device layer as the server sees it. Everything is in
// spec v4 terms (features, steps); sessions of older clients are translated
// by the server. A *device.Manager is adapted to it by FromDeviceManager.
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
	// subscribed input readings. The server reads it for its whole life and
	// uses the Kind, Index and Reading of each event.
	Events() <-chan device.Event
	// StopAll stops every output of every device and ends every input
	// subscription.
	StopAll(ctx context.Context) error
}

// Device is one connected device. *device.Device implements it.
type Device interface {
	// Info describes the device in spec v4 form (its index, names, message
	// timing gap and features).
	Info() protocol.DeviceInfo
	// QueueOutputs checks outputs against the advertised ranges, refusing
	// them all when one is invalid, and queues them for the device in call
	// order without blocking; wait reports the write. Commands waiting for
	// the device's message gap are coalesced, the latest value winning.
	QueueOutputs(cmds []device.FeatureOutput) (wait func(context.Context) error, err error)
	// QueueInput queues a subscribe or unsubscribe of one input in call
	// order without blocking; wait reports the result.
	QueueInput(feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) (wait func(context.Context) error, err error)
	// Input reads one input (the server uses it for reads only).
	Input(ctx context.Context, feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) (int32, error)
	// QueueStop queues a stop of the outputs and/or the inputs of one
	// feature, or of the whole device when feature is nil, behind the
	// commands queued before; it waits, with ctx, only for room in a full
	// queue.
	QueueStop(ctx context.Context, feature *uint32, inputs, outputs bool) (wait func(context.Context) error, err error)
}

// FromDeviceManager adapts a device manager to the server. The server
// becomes the only reader of m.Events.
func FromDeviceManager(m *device.Manager) DeviceManager { return managerAdapter{m} }

type managerAdapter struct{ m *device.Manager }

func (a managerAdapter) StartScanning(ctx context.Context) error { return a.m.StartScanning(ctx) }
func (a managerAdapter) StopScanning(ctx context.Context) error  { return a.m.StopScanning(ctx) }
func (a managerAdapter) Events() <-chan device.Event             { return a.m.Events() }
func (a managerAdapter) StopAll(ctx context.Context) error       { return a.m.StopAll(ctx) }

func (a managerAdapter) Devices() []Device {
	ds := a.m.Devices()
	out := make([]Device, len(ds))
	for i, d := range ds {
		out[i] = d
	}
	return out
}

func (a managerAdapter) Device(index uint32) (Device, bool) {
	d, ok := a.m.Device(index)
	if !ok {
		return nil, false
	}
	return d, true
}
