package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Amorelie Joy: 03 at connect, then 01 01 <speed>.
func init() {
	Register("amorelie-joy", func() Protocol {
		return withInit{packets: [][]byte{{0x03}}, noResponse: true, new: func(*config.Definition) Handler {
			return perOutput(comm.EndpointTx, false, func(o Output) []byte {
				return []byte{0x01, 0x01, byte(o.Value)}
			}, protocol.OutputVibrate)
		}}
	})
}
