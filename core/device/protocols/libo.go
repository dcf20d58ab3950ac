package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// LiBo toys take one byte per write, on tx or txmode depending on the
// motor.
//
// libo-elle: the level (0-3) goes to txmode. (The reference also encodes a
// second feature for the shock unit, which the configuration does not
// define.)
//
// libo-shark: both motors (0-3) in one byte on tx, the first in the high
// nibble.
//
// libo-vibes: the first motor's speed goes to tx, a second motor's level to
// txmode. A single-motor toy only stops when txmode gets 0 as well.
func init() {
	registerPerOutput("libo-elle", comm.EndpointTxMode, false, func(o Output) []byte {
		if o.Feature != 0 {
			return nil
		}
		return []byte{byte(o.Value)}
	}, vibrateOnly...)
	registerCombined("libo-shark", comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		return []byte{byte(s.get(0))<<4 | byte(s.get(1))&0x0f}
	})
	RegisterGeneric("libo-vibes", newLiboVibes)
}

func newLiboVibes(def *config.Definition) (Handler, error) {
	single := len(newState(def).features) == 1
	return HandlerFunc(func(o Output) ([]Command, error) {
		if o.Type != protocol.OutputVibrate {
			return nil, Unsupported(o)
		}
		v := byte(o.Value)
		switch o.Feature {
		case 0:
			cmds := []Command{Write(comm.EndpointTx, []byte{v}, false, o.Feature)}
			if v == 0 && single {
				// No feature: a later speed must not coalesce the mode
				// reset away, or the toy keeps running.
				cmds = append(cmds, Write(comm.EndpointTxMode, []byte{0}, false))
			}
			return cmds, nil
		case 1:
			return []Command{Write(comm.EndpointTxMode, []byte{v}, false, o.Feature)}, nil
		}
		return nil, Unsupported(o)
	}), nil
}
