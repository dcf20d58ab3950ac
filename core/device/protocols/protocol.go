// Package protocols holds the device protocols: how a connected device is
// identified, and how spec v4 outputs and inputs become the bytes that
// device expects.
//
// One file holds one protocol (or one family) and registers it under the
// protocol name the device configuration uses, in an init function:
//
//	func init() { Register("lovense", func() Protocol { return &lovense{} }) }
//
// so engineers add protocols without touching each other's files. The device
// layer creates one Protocol value per connected device: Identify talks to
// the device to learn which configuration applies (most protocols just use
// the advertised name), Init builds the Handler once the device's definition
// is known, and the Handler turns each output command into Commands that the
// device layer queues, coalesces and writes.
package protocols

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Link is a protocol's view of a connected device. Calls go straight to the
// hardware (they are not coalesced); the context bounds each of them.
type Link interface {
	// Name is the advertised name; some protocols read the model from it.
	Name() string
	// Address is the stable address; some protocols derive keys or ids
	// from it.
	Address() string
	// Advertisement is what the device advertised when it was found.
	Advertisement() comm.Advertisement
	// HasEndpoint reports whether the connection has ep.
	HasEndpoint(ep comm.Endpoint) bool
	// Write sends data to ep; withResponse asks for a BLE write with
	// response, which some devices need to accept a command.
	Write(ctx context.Context, ep comm.Endpoint, data []byte, withResponse bool) error
	// Read reads ep, for protocols that query the device (battery,
	// identification); length is a hint, 0 for whatever the device returns.
	Read(ctx context.Context, ep comm.Endpoint, length int) ([]byte, error)
	// Subscribe asks the device to notify ep, for answers and sensor
	// readings that arrive as notifications; Listen receives them.
	Subscribe(ctx context.Context, ep comm.Endpoint) error
	// Unsubscribe ends a subscription, so the device stops sending.
	Unsubscribe(ctx context.Context, ep comm.Endpoint) error
	// Listen starts receiving the notifications of ep. Call it before the
	// write that provokes the answer, and Close it when done.
	Listen(ep comm.Endpoint) Listener
}

// Listener receives notifications of one endpoint.
type Listener interface {
	// C delivers notification payloads; it is closed when the device
	// disconnects or the listener is closed.
	C() <-chan []byte
	// Close stops the delivery and closes C; it is idempotent.
	Close()
}

// CommandKind says what a Command does.
type CommandKind int

// Command kinds.
const (
	CmdWrite CommandKind = iota + 1
	CmdSubscribe
	CmdUnsubscribe
)

// Command is one hardware operation produced by a Handler.
type Command struct {
	Kind         CommandKind
	Endpoint     comm.Endpoint
	Data         []byte
	WithResponse bool
	// Features are the indexes of the features whose state the command
	// carries. While commands wait out the device's message gap, a newer
	// command sharing a feature replaces the older one (latest wins).
	Features []uint32
}

// ProtocolKey returns a pseudo feature index for protocol-level state that
// is not a feature (a direction register, a whole-device mode): commands
// setting it replace each other like commands of one feature. Real feature
// indexes never reach bit 31.
func ProtocolKey(n uint32) uint32 { return 1<<31 | n }

// Write returns a write command for the given features.
func Write(ep comm.Endpoint, data []byte, withResponse bool, features ...uint32) Command {
	return Command{Kind: CmdWrite, Endpoint: ep, Data: data, WithResponse: withResponse, Features: features}
}

// Overlaps reports whether c and o carry state of a common feature.
func (c Command) Overlaps(o Command) bool {
	if c.Kind != o.Kind {
		return false
	}
	for _, a := range c.Features {
		for _, b := range o.Features {
			if a == b {
				return true
			}
		}
	}
	return false
}

// Output is one output command for a handler, already checked against the
// feature's advertised range and converted to device units (user limits
// applied, positions mirrored when reversed).
type Output struct {
	Feature  uint32
	Type     protocol.OutputType
	Value    int32
	Duration uint32
}

// Protocol identifies and initialises one connected device.
type Protocol interface {
	// Identify returns the configuration identifier of the device ("" for
	// the protocol defaults).
	Identify(ctx context.Context, link Link) (string, error)
	// Init prepares the device and returns its handler.
	Init(ctx context.Context, link Link, def *config.Definition) (Handler, error)
}

// Redirector is implemented by protocols whose identification can find
// that the device belongs to another protocol of the configuration (a
// Hismith that speaks the Hismith Mini protocol): after Identify, the
// device's definition is looked up under Protocol instead.
type Redirector interface {
	Protocol() string
}

// Handler encodes the commands of one connected device. The device layer
// calls Output for one device from one goroutine at a time, so handlers may
// keep the last values of their features without locking.
type Handler interface {
	Output(o Output) ([]Command, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(o Output) ([]Command, error)

// Output calls f.
func (f HandlerFunc) Output(o Output) ([]Command, error) { return f(o) }

// InputReader is implemented by handlers that read inputs. Handlers without
// it read Battery from the standard BLE battery endpoint when the device has
// one.
type InputReader interface {
	ReadInput(ctx context.Context, link Link, feature uint32, typ protocol.InputType) (int32, error)
}

// InputSubscriber is implemented by handlers whose inputs can be
// subscribed; emit delivers each reading.
type InputSubscriber interface {
	// SubscribeInput starts the readings of the input typ of feature;
	// they arrive through emit until UnsubscribeInput.
	SubscribeInput(ctx context.Context, link Link, feature uint32, typ protocol.InputType, emit func(int32)) error
	// UnsubscribeInput ends a subscription SubscribeInput started.
	UnsubscribeInput(ctx context.Context, link Link, feature uint32, typ protocol.InputType) error
}

// Keepaliver is implemented by handlers of devices that stop on their own
// unless they get a packet every so often: the device layer sends a stop
// right after connecting and repeats the last write whenever the device has
// been idle for KeepaliveInterval.
type Keepaliver interface {
	KeepaliveInterval() time.Duration
}

// Halter is implemented by handlers that move a device on their own over
// time (positions stepped towards a goal). Stopping the device's outputs
// calls Halt, so the motion ends where it is instead of going on to the
// last goal: a stop must stop the device, and positions have no zero to
// send.
type Halter interface {
	Halt()
}

// Closer is implemented by handlers that own goroutines or other
// resources; the device layer calls Close once the device is gone.
type Closer interface {
	Close()
}

// Errors handlers return.
var (
	// ErrUnsupported means the protocol cannot do what was asked.
	ErrUnsupported = errors.New("not supported by the device protocol")
	// ErrBadReply means the device answered something the protocol cannot
	// read.
	ErrBadReply = errors.New("unexpected reply from device")
)

// Unsupported returns an error wrapping ErrUnsupported for an output.
func Unsupported(o Output) error {
	return fmt.Errorf("%w: %s on feature %d", ErrUnsupported, o.Type, o.Feature)
}

// ReadBLEBattery reads the standard BLE battery level characteristic.
func ReadBLEBattery(ctx context.Context, link Link) (int32, error) {
	if !link.HasEndpoint(comm.EndpointRxBLEBattery) {
		return 0, fmt.Errorf("%w: battery (no battery endpoint)", ErrUnsupported)
	}
	b, err := link.Read(ctx, comm.EndpointRxBLEBattery, 1)
	if err != nil {
		return 0, err
	}
	if len(b) < 1 {
		return 0, fmt.Errorf("%w: empty battery reading", ErrBadReply)
	}
	return int32(b[0]), nil
}

// Generic is a Protocol for devices identified by their advertised name that
// need no handshake: Init calls NewLinked when set, else New.
type Generic struct {
	New       func(def *config.Definition) (Handler, error)
	NewLinked func(link Link, def *config.Definition) (Handler, error)
}

// Identify returns the advertised name.
func (g Generic) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

// Init builds the handler.
func (g Generic) Init(_ context.Context, link Link, def *config.Definition) (Handler, error) {
	if g.NewLinked != nil {
		return g.NewLinked(link, def)
	}
	return g.New(def)
}

// Factory creates the Protocol value of one connected device.
type Factory func() Protocol

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
	sims     = map[string]Simulator{}
)

// Register makes a protocol available under name, the key of the device
// configuration's protocols object. Registering a name twice panics: it is
// a programming error caught by any test.
func Register(name string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("protocols: " + name + " registered twice")
	}
	registry[name] = f
}

// RegisterGeneric registers a Generic protocol whose handler comes from
// newHandler.
func RegisterGeneric(name string, newHandler func(def *config.Definition) (Handler, error)) {
	Register(name, func() Protocol { return Generic{New: newHandler} })
}

// Lookup returns the factory of a protocol.
func Lookup(name string) (Factory, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// Registered lists the registered protocol names, sorted.
func Registered() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Simulator lets the simulated backend answer like a real device of a
// protocol: what it advertises and how it answers writes and reads. Protocols
// that need no handshake need none.
type Simulator interface {
	// Advertise adjusts what a device of the definition advertises: the
	// simulated backend fills adv from the configuration (services,
	// manufacturer data) and tries the definition's identifier and the
	// configured names; a protocol sets adv.Name when its devices advertise
	// something else (Lovense: "LVS-<model>...") or puts the model into the
	// manufacturer data.
	Advertise(def *config.Definition, identifier string, adv *comm.Advertisement)
	// Respond returns the notifications the device sends after data was
	// written to ep.
	Respond(state *SimState, ep comm.Endpoint, data []byte) []comm.Notification
	// Read answers a read of ep; ok is false when the device has nothing to
	// say.
	Read(state *SimState, ep comm.Endpoint, length int) (data []byte, ok bool)
	// Subscribed returns the notifications the device sends as soon as ep
	// is subscribed.
	Subscribed(state *SimState, ep comm.Endpoint) []comm.Notification
}

// SimBase answers nothing; simulators embed it and override what their
// protocol needs.
type SimBase struct{}

// Advertise leaves the advertisement as configured.
func (SimBase) Advertise(*config.Definition, string, *comm.Advertisement) {}

// Respond answers nothing.
func (SimBase) Respond(*SimState, comm.Endpoint, []byte) []comm.Notification { return nil }

// Read has nothing to read.
func (SimBase) Read(*SimState, comm.Endpoint, int) ([]byte, bool) { return nil, false }

// Subscribed sends nothing.
func (SimBase) Subscribed(*SimState, comm.Endpoint) []comm.Notification { return nil }

// SimState is the state of one simulated device a Simulator may consult.
type SimState struct {
	// Identifier is the configuration identifier the device simulates.
	Identifier string
	// Battery is the battery level, 0-100.
	Battery int32
}

// RegisterSimulator registers the simulation of a protocol.
func RegisterSimulator(name string, s Simulator) {
	regMu.Lock()
	defer regMu.Unlock()
	sims[name] = s
}

// LookupSimulator returns the simulation of a protocol.
func LookupSimulator(name string) (Simulator, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := sims[name]
	return s, ok
}
