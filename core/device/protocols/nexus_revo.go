package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Nexus Revo: vibrate aa 01 01 00 01 <speed>; rotate aa 01 02 00 <speed,
// +2 when clockwise> 00; both with response.
func init() {
	registerPerOutput("nexus-revo", comm.EndpointTx, true, func(o Output) []byte {
		if o.Type == protocol.OutputVibrate {
			return []byte{0xaa, 0x01, 0x01, 0x00, 0x01, byte(o.Value)}
		}
		v := byte(abs32(o.Value))
		if o.Value > 0 {
			v += 2
		}
		return []byte{0xaa, 0x01, 0x02, 0x00, v, 0x00}
	}, protocol.OutputVibrate, protocol.OutputRotate)
}
