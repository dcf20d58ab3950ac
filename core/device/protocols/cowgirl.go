package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// The Cowgirl: 00 01 <vibrate> <rotate>, written with response.
func init() {
	registerCombined("cowgirl", comm.EndpointTx, true,
		isType(protocol.OutputVibrate, protocol.OutputRotate),
		func(s *state) []byte {
			return []byte{0x00, 0x01, byte(s.typeSlot(protocol.OutputVibrate)), byte(s.typeSlot(protocol.OutputRotate))}
		})
}
