package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Bananasome: a0 03 <motor 0> <motor 1> <motor 2>, every motor each time.
func init() {
	registerCombined("bananasome", comm.EndpointTx, false,
		isType(protocol.OutputVibrate, protocol.OutputOscillate),
		func(s *state) []byte {
			return []byte{0xa0, 0x03, byte(s.get(0)), byte(s.get(1)), byte(s.get(2))}
		})
}
