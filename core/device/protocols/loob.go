package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Joyroid Loob: 00 01 01 f4 at connect, then <position 1-1000> <duration
// ms>, both big-endian 16 bits.
func init() {
	Register("loob", func() Protocol {
		return withInit{packets: [][]byte{{0x00, 0x01, 0x01, 0xf4}}, new: func(*config.Definition) Handler {
			return perOutput(comm.EndpointTx, false, func(o Output) []byte {
				pos := min(max(o.Value, 1), 1000)
				dur := max(uint16(o.Duration), 1)
				return []byte{byte(pos >> 8), byte(pos), byte(dur >> 8), byte(dur)}
			}, protocol.OutputHwPositionWithDuration)
		}}
	})
}
