package protocols

import (
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Sexverse v3 (Tay, Zeus): a1 04 <speed> <motor+1> with response, repeated
// every 100 ms or the toy stops. The packet does not say what the motor
// does, so oscillation (the Zeus's second motor) is sent like vibration and
// rotation.
func init() {
	RegisterGeneric("sexverse-v3", func(*config.Definition) (Handler, error) {
		return keepalive{perOutput(comm.EndpointTx, true, func(o Output) []byte {
			return []byte{0xa1, 0x04, byte(abs32(o.Value)), byte(o.Feature + 1)}
		}, protocol.OutputVibrate, protocol.OutputRotate, protocol.OutputOscillate), 100 * time.Millisecond}, nil
	})
}
