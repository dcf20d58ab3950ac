package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
)

// Love Nuts: "EVOL", the speed (0-15) in both nibbles of ten bytes, 00 ff.
func init() {
	registerPerOutput("lovenuts", comm.EndpointTx, false, func(o Output) []byte {
		v := byte(o.Value) & 0x0f
		b := []byte{'E', 'V', 'O', 'L'}
		for i := 0; i < 10; i++ {
			b = append(b, v|v<<4)
		}
		return append(b, 0x00, 0xff)
	}, vibrateOnly...)
}
