package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// FeelingSo: aa 40 03 <vibrate> <oscillate> 14 19.
func init() {
	registerCombined("feelingso", comm.EndpointTx, false,
		isType(protocol.OutputVibrate, protocol.OutputOscillate),
		func(s *state) []byte {
			return []byte{0xaa, 0x40, 0x03, byte(s.typeSlot(protocol.OutputVibrate)), byte(s.typeSlot(protocol.OutputOscillate)), 0x14, 0x19}
		})
}
