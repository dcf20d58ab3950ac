package protocols

import (
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Leten: 04 01 at connect, then 02 <speed> with response. The device stops
// unless it hears from the host every second.
func init() {
	Register("leten", func() Protocol {
		return withInit{packets: [][]byte{{0x04, 0x01}}, new: func(*config.Definition) Handler {
			return keepalive{perOutput(comm.EndpointTx, true, func(o Output) []byte {
				return []byte{0x02, byte(o.Value)}
			}, protocol.OutputVibrate), time.Second}
		}}
	})
}
