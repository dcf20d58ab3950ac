// Package comm defines the communication-manager contract of the device
// layer: how a backend (Bluetooth LE, serial, HID, a websocket device server,
// or the simulated backend) reports the devices it finds and how the device
// layer talks to a connected device through named endpoints.
//
// A backend implements [Manager]. While scanning it reports each device it
// finds as a [FoundDevice] on its event channel; the device manager matches
// the advertisement against the device configuration, then calls
// FoundDevice.Connect with the endpoints the matched protocol uses and gets a
// [Hardware]. Everything above Hardware (protocol encoding, coalescing,
// timeouts) lives in the device layer, so a backend stays small.
package comm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Endpoint names a channel of a device: a BLE characteristic, a serial port
// direction, a HID report. The names are those of the Buttplug device
// configuration ("tx", "rx", "command", "rxblebattery", ...).
type Endpoint string

// Endpoints used by the device configuration.
const (
	EndpointCommand         Endpoint = "command"
	EndpointFirmware        Endpoint = "firmware"
	EndpointRx              Endpoint = "rx"
	EndpointRxAccel         Endpoint = "rxaccel"
	EndpointRxBLEBattery    Endpoint = "rxblebattery"
	EndpointRxBLEModel      Endpoint = "rxblemodel"
	EndpointRxPressure      Endpoint = "rxpressure"
	EndpointRxTouch         Endpoint = "rxtouch"
	EndpointTx              Endpoint = "tx"
	EndpointTxMode          Endpoint = "txmode"
	EndpointTxShock         Endpoint = "txshock"
	EndpointTxVibrate       Endpoint = "txvibrate"
	EndpointTxVendorControl Endpoint = "txvendorcontrol"
	EndpointWhitelist       Endpoint = "whitelist"
	EndpointGeneric0        Endpoint = "generic0"
)

// ValidEndpoint reports whether name is an endpoint name of the device
// configuration format, including generic0 … generic31.
func ValidEndpoint(name string) bool {
	switch Endpoint(name) {
	case EndpointCommand, EndpointFirmware, EndpointRx, EndpointRxAccel, EndpointRxBLEBattery,
		EndpointRxBLEModel, EndpointRxPressure, EndpointRxTouch, EndpointTx, EndpointTxMode,
		EndpointTxShock, EndpointTxVibrate, EndpointTxVendorControl, EndpointWhitelist:
		return true
	}
	if n, ok := strings.CutPrefix(name, "generic"); ok && n != "" && len(n) <= 2 {
		v := 0
		for _, c := range n {
			if c < '0' || c > '9' {
				return false
			}
			v = v*10 + int(c-'0')
		}
		return v <= 31 && (len(n) == 1 || n[0] != '0')
	}
	return false
}

// Bus says how a device is reached.
type Bus string

// Buses of the device configuration.
const (
	BusBLE       Bus = "btle"
	BusSerial    Bus = "serial"
	BusHID       Bus = "hid"
	BusUSB       Bus = "usb"
	BusWebsocket Bus = "websocket"
	BusXInput    Bus = "xinput"
)

// Advertisement is what a found device tells about itself before connecting.
// Which fields are set depends on the bus: BLE fills Name, ManufacturerData
// and Services; serial fills Port; HID and USB fill VendorID and ProductID;
// websocket devices fill Name.
type Advertisement struct {
	Bus Bus
	// Name is the advertised (BLE local) name or the websocket identifier.
	Name string
	// Address identifies this physical device across connections (BLE
	// address, port path, serial number). Allow and deny lists and user
	// configurations are keyed by it.
	Address string
	// ManufacturerData maps BLE company ids to their advertised bytes.
	ManufacturerData map[uint16][]byte
	// Services lists the advertised BLE service UUIDs (lower case).
	Services []string
	// Port is the serial port name.
	Port string
	// VendorID and ProductID identify HID and USB devices.
	VendorID, ProductID uint16
}

// String describes the advertisement for logs and errors.
func (a Advertisement) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s device %q at %q", a.Bus, a.Name, a.Address)
	if len(a.Services) > 0 {
		fmt.Fprintf(&b, " services %v", a.Services)
	}
	if len(a.ManufacturerData) > 0 {
		ids := make([]int, 0, len(a.ManufacturerData))
		for id := range a.ManufacturerData {
			ids = append(ids, int(id))
		}
		sort.Ints(ids)
		fmt.Fprintf(&b, " manufacturer data from %v", ids)
	}
	return b.String()
}

// ServiceMap tells Connect which endpoints the matched protocol uses: BLE
// service UUID → endpoint → characteristic UUID. Backends without services
// (serial, HID, simulated) use only the endpoint names.
type ServiceMap map[string]map[Endpoint]string

// Endpoints returns the endpoint names in m, sorted.
func (m ServiceMap) Endpoints() []Endpoint {
	seen := map[Endpoint]bool{}
	var out []Endpoint
	for _, eps := range m {
		for ep := range eps {
			if !seen[ep] {
				seen[ep] = true
				out = append(out, ep)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// FoundDevice is a device a Manager found and can connect to.
type FoundDevice interface {
	// Advertisement describes the device.
	Advertisement() Advertisement
	// Connect opens the device with the endpoints of services. It fails with
	// an error wrapping ErrNoEndpoints when the device has none of them.
	Connect(ctx context.Context, services ServiceMap) (Hardware, error)
}

// Hardware is one connected device. All methods are safe for concurrent use.
// Once the device disconnects every call fails with an error wrapping
// ErrDisconnected and the Notifications channel is closed.
type Hardware interface {
	// Name is the advertised name, for matching the configuration and
	// for display.
	Name() string
	// Address is the stable address (MAC, port path...), which tells two
	// devices of the same name apart and keys the user configuration.
	Address() string
	// Endpoints lists the endpoints the connection has.
	Endpoints() []Endpoint
	// Write sends data to an endpoint. withResponse asks for a BLE write
	// with response; other buses ignore it.
	Write(ctx context.Context, ep Endpoint, data []byte, withResponse bool) error
	// Read reads from an endpoint; length is a hint (0 = whatever the
	// device returns).
	Read(ctx context.Context, ep Endpoint, length int) ([]byte, error)
	// Subscribe asks the device to notify data arriving on ep.
	Subscribe(ctx context.Context, ep Endpoint) error
	// Unsubscribe ends a subscription.
	Unsubscribe(ctx context.Context, ep Endpoint) error
	// Notifications delivers data from subscribed endpoints in arrival
	// order. It has one reader (the device layer) and is closed when the
	// device disconnects.
	Notifications() <-chan Notification
	// Disconnect closes the connection and then the Notifications channel
	// (the device layer waits for that). It is idempotent.
	Disconnect() error
}

// Notification is data a device sent on a subscribed endpoint.
type Notification struct {
	Endpoint Endpoint
	Data     []byte
}

// EventKind says what a manager Event reports.
type EventKind int

// Manager event kinds.
const (
	// DeviceFound reports a device seen while scanning.
	DeviceFound EventKind = iota + 1
	// ScanFinished reports that a scan ended by itself (not through
	// StopScanning).
	ScanFinished
)

// Event is reported by a Manager on its event channel.
type Event struct {
	Kind EventKind
	// Device is set for DeviceFound.
	Device FoundDevice
}

// Manager is a communication manager: one backend that finds devices.
type Manager interface {
	// Name identifies the backend in logs ("simulated", "btle", ...).
	Name() string
	// StartScanning starts looking for devices; calling it while scanning is
	// not an error. Found devices are reported on Events.
	StartScanning(ctx context.Context) error
	// StopScanning stops looking; calling it while idle is not an error.
	StopScanning(ctx context.Context) error
	// Events delivers DeviceFound and ScanFinished. It is closed by Close.
	Events() <-chan Event
	// Close stops the manager and closes Events. It is idempotent.
	Close() error
}

// Sentinel errors of backends.
var (
	// ErrDisconnected is wrapped by errors of calls on a disconnected device.
	ErrDisconnected = errors.New("device disconnected")
	// ErrUnknownEndpoint is wrapped when a call names an endpoint the
	// connection does not have.
	ErrUnknownEndpoint = errors.New("unknown endpoint")
	// ErrNoEndpoints is wrapped by Connect when the device has none of the
	// endpoints asked for.
	ErrNoEndpoints = errors.New("device has none of the protocol's endpoints")
	// ErrClosed is returned by a closed manager.
	ErrClosed = errors.New("communication manager closed")
)
