package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Xibao: 66 3a 00 06 00 06 01 02 00 02 04 <speed> <speed + b5>.
func init() {
	registerPerOutput("xibao", comm.EndpointTx, false, func(o Output) []byte {
		v := byte(o.Value)
		return []byte{0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, v, v + 0xb5}
	}, protocol.OutputOscillate)
}
