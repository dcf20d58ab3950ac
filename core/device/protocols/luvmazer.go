package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Luvmazer: a0 <function> <mode> <motor> 64 <speed>; vibrate 01, rotate 0f,
// oscillate 06 (mode 01), constrict 0d (mode 14 while running).
func init() {
	registerPerOutput("luvmazer", comm.EndpointTx, false, func(o Output) []byte {
		v := byte(o.Value)
		switch o.Type {
		case protocol.OutputVibrate:
			return []byte{0xa0, 0x01, 0x00, byte(o.Feature), 0x64, v}
		case protocol.OutputRotate:
			return []byte{0xa0, 0x0f, 0x00, 0x00, 0x64, v}
		case protocol.OutputOscillate:
			return []byte{0xa0, 0x06, 0x01, 0x00, 0x64, v}
		case protocol.OutputConstrict:
			mode := byte(0)
			if v != 0 {
				mode = 0x14
			}
			return []byte{0xa0, 0x0d, 0x00, 0x00, mode, v}
		}
		return nil
	}, protocol.OutputVibrate, protocol.OutputRotate, protocol.OutputOscillate, protocol.OutputConstrict)
}
