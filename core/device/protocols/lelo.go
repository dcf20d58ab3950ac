package protocols

import (
	"bytes"
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Lelo F1s and Harmony families. Newer models guard control with a
// handshake on a security endpoint: all zeros means "press the power
// button", 01 00... means authorised, anything else is a password the host
// writes back (with response) between an unsubscribe and a re-subscribe.
//
// F1s packets are 01 <motor 0> <motor 1>; Harmony packets are
// 0a 12 <motor + 1> 08 00 00 00 00 <speed> 00.

func init() {
	Register("lelo-f1s", func() Protocol { return leloF1sV1{} })
	Register("lelo-f1sv2", func() Protocol { return leloSecured{f1s: true} })
	Register("lelo-harmony", func() Protocol { return leloSecured{} })
	RegisterSimulator("lelo-f1sv2", leloSim{})
	RegisterSimulator("lelo-harmony", leloSim{})
}

func leloF1s(def *config.Definition, withResponse bool) Handler {
	return combined(def, comm.EndpointTx, withResponse, isType(protocol.OutputVibrate), func(s *state) []byte {
		return []byte{0x01, byte(s.get(0)), byte(s.get(1))}
	})
}

var leloHarmony = perOutput(comm.EndpointTx, false, func(o Output) []byte {
	return []byte{0x0a, 0x12, byte(o.Feature) + 1, 0x08, 0, 0, 0, 0, byte(abs32(o.Value)), 0}
}, protocol.OutputVibrate, protocol.OutputRotate)

// leloF1sV1 subscribes to rx at connect; packets go without response.
type leloF1sV1 struct{}

func (leloF1sV1) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (leloF1sV1) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, err
	}
	return leloF1s(def, false), nil
}

type leloSecured struct{ f1s bool }

func (leloSecured) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (l leloSecured) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	ep := comm.EndpointWhitelist
	harmony := !l.f1s
	if l.f1s && !link.HasEndpoint(comm.EndpointWhitelist) {
		ep, harmony = comm.EndpointGeneric0, true
	}
	lis := link.Listen(ep)
	defer lis.Close()
	if err := link.Subscribe(ctx, ep); err != nil {
		return nil, err
	}
	for {
		var n []byte
		select {
		case data, ok := <-lis.C():
			if !ok {
				return nil, fmt.Errorf("lelo: %w during the security handshake", comm.ErrDisconnected)
			}
			n = data
		case <-ctx.Done():
			return nil, fmt.Errorf("lelo: security handshake (press the power button): %w", ctx.Err())
		}
		switch l.classify(n) {
		case leloWaiting:
			// Waiting for the user to press the power button.
		case leloAuthorised:
			if harmony {
				return leloHarmony, nil
			}
			return leloF1s(def, true), nil
		default:
			if err := link.Unsubscribe(ctx, ep); err != nil {
				return nil, err
			}
			if err := link.Write(ctx, ep, n, true); err != nil {
				return nil, err
			}
			if err := link.Subscribe(ctx, ep); err != nil {
				return nil, err
			}
		}
	}
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// Security endpoint states.
const (
	leloWaiting = iota
	leloAuthorised
	leloPassword
)

// classify reads a security notification the way the reference does for
// each family: the F1s v2 (lelof1sv2.rs) knows exactly eight zero bytes
// (not authorised yet) and 01 and seven zeros (authorised), anything else,
// shorter zero runs included, being a password; the Harmony
// (lelo_harmony.rs) takes any run of zeros, even an empty notification, as
// not authorised and 01 followed by zeros as authorised.
func (l leloSecured) classify(n []byte) int {
	if l.f1s {
		switch {
		case bytes.Equal(n, make([]byte, 8)):
			return leloWaiting
		case bytes.Equal(n, []byte{1, 0, 0, 0, 0, 0, 0, 0}):
			return leloAuthorised
		}
		return leloPassword
	}
	switch {
	case allZero(n):
		return leloWaiting
	case n[0] == 1 && allZero(n[1:]):
		return leloAuthorised
	}
	return leloPassword
}

// leloSim is a toy whose power button was already pressed: it reports
// itself authorised as soon as the security endpoint is subscribed.
type leloSim struct{ SimBase }

func (leloSim) Subscribed(_ *SimState, ep comm.Endpoint) []comm.Notification {
	if ep != comm.EndpointWhitelist && ep != comm.EndpointGeneric0 {
		return nil
	}
	return []comm.Notification{{Endpoint: ep, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0}}}
}
