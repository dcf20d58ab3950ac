package protocols

import (
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Mu Se (Dream Lover Archer 2 "WB-ZDB-WST", Galaku Panty Vib "WB-TDD"):
// two bytes on tx, <speed> <mode>. A non-zero mode byte makes the first
// byte a speed (1-9 in the configuration) that holds for about a second;
// mode 0 would select a built-in pattern instead, and speed 0 stops the
// motor whatever the mode. The speed is therefore sent with mode 1 and
// repeated well inside that second.
//
// No implementation exists to compare against: buttplug-rs 10.x registers
// no muse protocol (its devices stay unconnected) and buttplug-csharp had
// none. The format is the buttplug project's protocol notes
// (buttplugio/stpihkal issue #65), which say any non-zero second byte
// selects speed control.
const museRepeat = 500 * time.Millisecond

func init() {
	RegisterGeneric("muse", func(*config.Definition) (Handler, error) {
		return keepalive{perOutput(comm.EndpointTx, false, func(o Output) []byte {
			if o.Feature != 0 || o.Value < 0 || o.Value > 0x0f {
				return nil
			}
			return []byte{byte(o.Value), 0x01}
		}, protocol.OutputVibrate), museRepeat}, nil
	})
}
