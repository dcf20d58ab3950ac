package protocols

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Sistalk MonsterPub and Tracy's Dog: the model is the string on
// rxblemodel. Devices with an rx characteristic want an authentication:
// rx reads <key index> and 15 bytes, which go back to rx XORed with that
// key, with response. Every motor's speed then travels in one packet, on
// txvibrate, else tx (a stop on tx goes to txmode, with response), else
// generic0 behind a 03 (Tracy's Dog).

const monsterpubModelWait = 500 * time.Millisecond

// monsterpubKeys are the authentication keys, by the index the device
// sends.
var monsterpubKeys = [4]string{"2IPO2IPO2IPO2IP", "LSBBLSBBLSBBLSB", "SIS6SIS6SIS6SIS", "TALKTALKTALKTAL"}

func init() {
	Register("monsterpub", func() Protocol { return monsterpub{} })
	RegisterSimulator("monsterpub", monsterpubSim{})
}

type monsterpub struct{}

// Identify reads the model; a device that does not tell is "Unknown", the
// identifier the reference gives it (user configurations are keyed by it),
// which resolves to the protocol defaults.
func (monsterpub) Identify(ctx context.Context, link Link) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, monsterpubModelWait)
	defer cancel()
	b, err := link.Read(rctx, comm.EndpointRxBLEModel, 32)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "Unknown", nil
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%w: monsterpub model %x is not text", ErrBadReply, b)
	}
	return strings.ReplaceAll(string(b), "\x00", ""), nil
}

// monsterpubAuth answers the authentication challenge.
func monsterpubAuth(challenge []byte) ([]byte, error) {
	if len(challenge) < 16 || int(challenge[0]) >= len(monsterpubKeys) {
		return nil, fmt.Errorf("%w: monsterpub challenge %x", ErrBadReply, challenge)
	}
	key := monsterpubKeys[challenge[0]]
	out := make([]byte, 15)
	for i := range out {
		out[i] = challenge[1+i] ^ key[i]
	}
	return out, nil
}

func (monsterpub) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	if link.HasEndpoint(comm.EndpointRx) {
		challenge, err := link.Read(ctx, comm.EndpointRx, 16)
		if err != nil {
			return nil, fmt.Errorf("monsterpub: read challenge: %w", err)
		}
		auth, err := monsterpubAuth(challenge)
		if err != nil {
			return nil, err
		}
		if err := link.Write(ctx, comm.EndpointRx, auth, true); err != nil {
			return nil, fmt.Errorf("monsterpub: answer challenge: %w", err)
		}
	}
	ep := comm.EndpointGeneric0
	switch {
	case link.HasEndpoint(comm.EndpointTxVibrate):
		ep = comm.EndpointTxVibrate
	case link.HasEndpoint(comm.EndpointTx):
		ep = comm.EndpointTx
	}
	s := newState(def)
	return HandlerFunc(func(o Output) ([]Command, error) {
		if o.Type != protocol.OutputVibrate && o.Type != protocol.OutputOscillate {
			return nil, Unsupported(o)
		}
		s.set(o)
		var data []byte
		if ep == comm.EndpointGeneric0 {
			data = append(data, 0x03)
		}
		running := false
		for i := range s.features {
			v := byte(s.slot(i))
			data = append(data, v)
			running = running || v != 0
		}
		if ep == comm.EndpointTx && !running {
			return []Command{Write(comm.EndpointTxMode, data, true, s.all()...)}, nil
		}
		return []Command{Write(ep, data, false, s.all()...)}, nil
	}), nil
}

// monsterpubSim tells its model and sends a challenge with key 1.
type monsterpubSim struct{ SimBase }

func (monsterpubSim) Read(st *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	switch ep {
	case comm.EndpointRxBLEModel:
		// NULs after the model, which Identify must strip.
		return append([]byte(st.Identifier), 0, 0), true
	case comm.EndpointRx:
		return []byte{1, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0}, true
	}
	return nil, false
}
