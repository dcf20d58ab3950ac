package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// Love Distance: f3 00 <speed>. Connecting first writes f3 00 00 and
// f4 01, the initialisation the reference server sends (what f4 01 selects
// is not documented).
func init() {
	Register("lovedistance", func() Protocol {
		return withInit{
			packets:    [][]byte{{0xf3, 0x00, 0x00}, {0xf4, 0x01}},
			noResponse: true,
			new: func(*config.Definition) Handler {
				return perOutput(comm.EndpointTx, false, func(o Output) []byte {
					return []byte{0xf3, 0x00, byte(o.Value)}
				}, vibrateOnly...)
			},
		}
	})
}
