package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Synchro: a1 01 <speed, bit 7 set counter-clockwise> 77 55.
func init() {
	registerPerOutput("synchro", comm.EndpointTx, false, func(o Output) []byte {
		v := byte(abs32(o.Value))
		if o.Value < 0 {
			v |= 0x80
		}
		return []byte{0xa1, 0x01, v, 0x77, 0x55}
	}, protocol.OutputRotate)
}
