package protocols

import "github.com/bphost/bphost/core/device/comm"

// MaxPro: 55 04 07 ff ff 3f <speed> 5f <speed> and the sum of those bytes.
func init() {
	registerPerOutput("maxpro", comm.EndpointTx, false, func(o Output) []byte {
		v := byte(o.Value)
		b := []byte{0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, v, 0x5f, v}
		return append(b, sum8(b))
	}, vibrateOnly...)
}
