package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Nobra: one byte, 0x60 + speed, 0x70 to stop (also sent at connect).
func init() {
	Register("nobra", func() Protocol {
		return withInit{packets: [][]byte{{0x70}}, noResponse: true, new: func(*config.Definition) Handler {
			return perOutput(comm.EndpointTx, false, func(o Output) []byte {
				if o.Value == 0 {
					return []byte{0x70}
				}
				return []byte{byte(0x60 + o.Value)}
			}, protocol.OutputVibrate)
		}}
	})
}
