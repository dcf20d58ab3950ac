package protocols

import "github.com/bphost/bphost/core/device/comm"

// Xiuxiuda: 00 00 00 00 65 3a 30 <speed> 64.
func init() {
	registerPerOutput("xiuxiuda", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0, 0, 0, 0, 0x65, 0x3a, 0x30, byte(o.Value), 0x64}
	}, vibrateOnly...)
}
