package protocols

import "github.com/bphost/bphost/core/device/comm"

// Pink Punch: 09 <speed> with response.
func init() {
	registerPerOutput("pink_punch", comm.EndpointTx, true, func(o Output) []byte {
		return []byte{0x09, byte(o.Value)}
	}, vibrateOnly...)
}
