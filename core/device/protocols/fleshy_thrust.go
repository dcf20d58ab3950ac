package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Fleshy Thrust: <position> <duration ms, big endian 16 bits>.
func init() {
	registerPerOutput("fleshy-thrust", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{byte(o.Value), byte(o.Duration >> 8), byte(o.Duration)}
	}, protocol.OutputHwPositionWithDuration)
}
