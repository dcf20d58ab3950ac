package protocols

import "github.com/bphost/bphost/core/device/comm"

// Meese: 01 80 <1 + motor> <speed> with response.
func init() {
	registerPerOutput("meese", comm.EndpointTx, true, func(o Output) []byte {
		return []byte{0x01, 0x80, 0x01 + byte(o.Feature), byte(o.Value)}
	}, vibrateOnly...)
}
