package protocols

import (
	"context"
	"strings"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// SayberX: the stroker ("SayberX", vibrate 0-4 in the configuration) takes
// ASCII "AT+SPD<tens><units>" on tx, speeds 00-40 in steps of ten, so step
// n is "AT+SPD" n '0'. The X-Ring is the paired input ring: the
// configuration gives it no features, so it connects with nothing to
// drive. It advertises "X-Ring <id>" (the configuration matches "X-Ring *")
// while its model's identifier is "X-Ring", so every such name is
// identified as "X-Ring"; by its full name it would fall to the protocol
// defaults, which have no features either but not the model's name.
//
// No implementation exists to compare against: buttplug-rs 10.x registers
// no sayberx protocol (its devices stay unconnected) and buttplug-csharp
// had none. The packet is the one captured in the buttplug project's
// protocol notes (buttplugio/stpihkal issue #66: 41 54 2b 53 50 44 <30-34>
// 30), whose five speeds are the configuration's 0-4. The notes do not say
// whether the write wants a response; it is sent without, like most
// single-characteristic toys of the reference.
func init() {
	Register("sayberx", func() Protocol { return sayberx{} })
	RegisterSimulator("sayberx", sayberxSim{})
}

type sayberx struct{}

// Identify returns the advertised name, "X-Ring" for any X-Ring.
func (sayberx) Identify(_ context.Context, link Link) (string, error) {
	if strings.HasPrefix(link.Name(), "X-Ring") {
		return "X-Ring", nil
	}
	return link.Name(), nil
}

// Init connects without a handshake.
func (sayberx) Init(_ context.Context, _ Link, def *config.Definition) (Handler, error) {
	if def == nil || len(outputFeatures(def, protocol.OutputVibrate)) == 0 {
		return noOutputs(def)
	}
	return perOutput(comm.EndpointTx, false, sayberxPacket, protocol.OutputVibrate), nil
}

// sayberxSim advertises a simulated X-Ring the way a real one does, with
// an id after the model name, since "X-Ring" alone matches no configured
// name.
type sayberxSim struct{ SimBase }

func (sayberxSim) Advertise(_ *config.Definition, identifier string, adv *comm.Advertisement) {
	if identifier == "X-Ring" {
		adv.Name = "X-Ring 0F313B"
	}
}

// sayberxPacket encodes speed step v (0-4); nil for anything else.
func sayberxPacket(o Output) []byte {
	if o.Feature != 0 || o.Value < 0 || o.Value > 4 {
		return nil
	}
	return []byte{'A', 'T', '+', 'S', 'P', 'D', '0' + byte(o.Value), '0'}
}
