package protocols

import "github.com/bphost/bphost/core/device/comm"

// Cupido: b0 03 00 00 00 <speed> aa.
func init() {
	registerPerOutput("cupido", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0xb0, 0x03, 0, 0, 0, byte(o.Value), 0xaa}
	}, vibrateOnly...)
}
