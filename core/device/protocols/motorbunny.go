package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Motorbunny: vibrate ff (<speed> 14)x7 <sum> ec, stop f0 00 00 00 00 ec;
// rotate af (<2a clockwise | 29> <speed>)x7 <sum> ec, stop a0 00 00 00 00 ec.
func init() {
	registerPerOutput("motorbunny", comm.EndpointTx, false, func(o Output) []byte {
		var head, stop, a, b byte
		switch o.Type {
		case protocol.OutputVibrate:
			head, stop, a, b = 0xff, 0xf0, byte(o.Value), 0x14
		case protocol.OutputRotate:
			head, stop, a, b = 0xaf, 0xa0, 0x2a, byte(abs32(o.Value))
			if o.Value < 0 {
				a = 0x29
			}
		}
		if o.Value == 0 {
			return []byte{stop, 0, 0, 0, 0, 0xec}
		}
		out := []byte{head}
		var sum byte
		for i := 0; i < 7; i++ {
			out = append(out, a, b)
			sum += a + b
		}
		return append(out, sum, 0xec)
	}, protocol.OutputVibrate, protocol.OutputRotate)
}
