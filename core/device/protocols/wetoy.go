package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// WeToy: 80 03 stops (and is sent at connect); b2 <speed - 1> runs.
func init() {
	Register("wetoy", func() Protocol {
		return withInit{packets: [][]byte{{0x80, 0x03}}, new: func(*config.Definition) Handler {
			return perOutput(comm.EndpointTx, true, func(o Output) []byte {
				if o.Value == 0 {
					return []byte{0x80, 0x03}
				}
				return []byte{0xb2, byte(o.Value - 1)}
			}, protocol.OutputVibrate)
		}}
	})
}
