package protocols

import "github.com/bphost/bphost/core/device/comm"

// Realov: c5 55 <speed> aa.
func init() {
	registerPerOutput("realov", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0xc5, 0x55, byte(o.Value), 0xaa}
	}, vibrateOnly...)
}
