package protocols

import "github.com/bphost/bphost/core/device/comm"

// Cachito: <2 + motor> <1 + motor> <speed> 00.
func init() {
	registerPerOutput("cachito", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{2 + byte(o.Feature), 1 + byte(o.Feature), byte(o.Value), 0}
	}, vibrateOnly...)
}
