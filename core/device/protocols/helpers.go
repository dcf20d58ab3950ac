package protocols

import (
	"context"
	"crypto/aes"
	"fmt"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Helpers shared by the protocol files.

// perOutput returns a handler that writes one packet per output command to
// ep. enc builds the packet; returning nil means the output is not
// supported. types limits the output types accepted (none: any).
func perOutput(ep comm.Endpoint, withResponse bool, enc func(o Output) []byte, types ...protocol.OutputType) HandlerFunc {
	return func(o Output) ([]Command, error) {
		if len(types) > 0 && !hasType(types, o.Type) {
			return nil, Unsupported(o)
		}
		b := enc(o)
		if b == nil {
			return nil, Unsupported(o)
		}
		return []Command{Write(ep, b, withResponse, o.Feature)}, nil
	}
}

// vibrateOnly is the types list of protocols that only vibrate.
var vibrateOnly = []protocol.OutputType{protocol.OutputVibrate}

func hasType(types []protocol.OutputType, t protocol.OutputType) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// registerPerOutput registers a generic protocol writing one packet per
// output.
func registerPerOutput(name string, ep comm.Endpoint, withResponse bool, enc func(o Output) []byte, types ...protocol.OutputType) {
	RegisterGeneric(name, func(*config.Definition) (Handler, error) {
		return perOutput(ep, withResponse, enc, types...), nil
	})
}

// state is the latest device value of every output of a device, for
// protocols whose packets carry all actuators at once.
type state struct {
	features []uint32 // features with outputs, by index
	values   map[uint32]int32
	byType   map[protocol.OutputType]int32
}

func newState(def *config.Definition) *state {
	s := &state{values: map[uint32]int32{}, byType: map[protocol.OutputType]int32{}}
	for _, f := range def.Features {
		if len(f.Outputs) > 0 {
			s.features = append(s.features, f.Index)
		}
	}
	return s
}

// set records o.
func (s *state) set(o Output) {
	s.values[o.Feature] = o.Value
	s.byType[o.Type] = o.Value
}

// get returns the last value of a feature (0 before any).
func (s *state) get(feature uint32) int32 { return s.values[feature] }

// slot returns the value of the i-th output feature.
func (s *state) slot(i int) int32 {
	if i >= len(s.features) {
		return 0
	}
	return s.values[s.features[i]]
}

// all is the Features list of a packet that carries every output.
func (s *state) all() []uint32 { return append([]uint32(nil), s.features...) }

// combined returns a handler for protocols that send every actuator in one
// packet: o is stored, then pack builds the packet from the state (nil =
// unsupported).
func combined(def *config.Definition, ep comm.Endpoint, withResponse bool, accept func(o Output) bool, pack func(s *state) []byte) HandlerFunc {
	s := newState(def)
	return func(o Output) ([]Command, error) {
		if accept != nil && !accept(o) {
			return nil, Unsupported(o)
		}
		s.set(o)
		b := pack(s)
		if b == nil {
			return nil, Unsupported(o)
		}
		return []Command{Write(ep, b, withResponse, s.all()...)}, nil
	}
}

// registerCombined registers a generic protocol built with combined.
func registerCombined(name string, ep comm.Endpoint, withResponse bool, accept func(o Output) bool, pack func(s *state) []byte) {
	RegisterGeneric(name, func(def *config.Definition) (Handler, error) {
		return combined(def, ep, withResponse, accept, pack), nil
	})
}

// typeSlot returns the last value set for output type t, whatever its
// feature.
func (s *state) typeSlot(t protocol.OutputType) int32 { return s.byType[t] }

func isType(types ...protocol.OutputType) func(o Output) bool {
	return func(o Output) bool { return hasType(types, o.Type) }
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// withInit is a Protocol identified by name whose Init first writes a few
// packets (with response unless noResponse) to tx, then builds the handler.
type withInit struct {
	packets    [][]byte
	noResponse bool
	new        func(def *config.Definition) Handler
}

func (p withInit) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (p withInit) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	for _, b := range p.packets {
		if err := link.Write(ctx, comm.EndpointTx, b, !p.noResponse); err != nil {
			return nil, err
		}
	}
	return p.new(def), nil
}

// keepalive wraps a handler of a device that stops by itself unless it
// hears from the host every interval.
type keepalive struct {
	Handler
	interval time.Duration
}

func (k keepalive) KeepaliveInterval() time.Duration { return k.interval }

// xor8 is the XOR of the bytes of b, the checksum byte of several
// protocols.
func xor8(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// sum8 is the sum of the bytes of b modulo 256.
func sum8(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// initFunc is a Protocol identified by its advertised name whose Init is
// the function itself, for protocols that talk to the device before their
// handler exists.
type initFunc func(ctx context.Context, link Link, def *config.Definition) (Handler, error)

func (f initFunc) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (f initFunc) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	return f(ctx, link, def)
}

// identifiedAs is a Generic protocol whose devices all resolve to one
// configuration identifier, whatever name they advertise.
type identifiedAs struct {
	Generic
	ident string
}

func (p identifiedAs) Identify(context.Context, Link) (string, error) { return p.ident, nil }

// ecbEncrypt encrypts data with AES in ECB mode after PKCS#7 padding, the
// scheme of the Fluffer and VibCrafter firmwares. key must be 16, 24 or 32
// bytes (a fixed key of the caller).
func ecbEncrypt(key, data []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	pad := aes.BlockSize - len(data)%aes.BlockSize
	buf := append(append([]byte(nil), data...), make([]byte, pad)...)
	for i := len(data); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return buf
}

// ecbDecrypt reverses ecbEncrypt; what names the packet in errors.
func ecbDecrypt(key, data []byte, what string) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", what, err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %s packet of %d bytes", ErrBadReply, what, len(data))
	}
	buf := append([]byte(nil), data...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Decrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	pad := int(buf[len(buf)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: %s padding", ErrBadReply, what)
	}
	return buf[:len(buf)-pad], nil
}

// outputFeatures lists the features of def that have an output of type t,
// by index.
func outputFeatures(def *config.Definition, t protocol.OutputType) []uint32 {
	var out []uint32
	for _, f := range def.Features {
		if f.Output(t) != nil {
			out = append(out, f.Index)
		}
	}
	return out
}
