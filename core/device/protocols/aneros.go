package protocols

import "github.com/bphost/bphost/core/device/comm"

// Aneros: <0xf1 + motor> <speed>.
func init() {
	registerPerOutput("aneros", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0xf1 + byte(o.Feature), byte(o.Value)}
	}, vibrateOnly...)
}
