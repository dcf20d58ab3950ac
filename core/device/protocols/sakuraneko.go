package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Sakuraneko: vibrate a1 08 01 00 00 00 64 <speed> 00 64 df 55;
// rotate a2 08 01 00 00 00 64 <speed> 00 32 df 55.
func init() {
	registerPerOutput("sakuraneko", comm.EndpointTx, false, func(o Output) []byte {
		if o.Type == protocol.OutputVibrate {
			return []byte{0xa1, 0x08, 0x01, 0, 0, 0, 0x64, byte(o.Value), 0x00, 0x64, 0xdf, 0x55}
		}
		return []byte{0xa2, 0x08, 0x01, 0, 0, 0, 0x64, byte(o.Value), 0x00, 0x32, 0xdf, 0x55}
	}, protocol.OutputVibrate, protocol.OutputRotate)
}
