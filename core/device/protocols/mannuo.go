package protocols

import "github.com/bphost/bphost/core/device/comm"

// ManNuo: aa 55 06 01 01 01 <speed> fa and the XOR of those bytes, with
// response.
func init() {
	registerPerOutput("mannuo", comm.EndpointTx, true, func(o Output) []byte {
		b := []byte{0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, byte(o.Value), 0xfa}
		return append(b, xor8(b))
	}, vibrateOnly...)
}
