package protocols

import "github.com/bphost/bphost/core/device/comm"

// Omobo: a1 04 04 01 <speed> ff 55 with response.
func init() {
	registerPerOutput("omobo", comm.EndpointTx, true, func(o Output) []byte {
		return []byte{0xa1, 0x04, 0x04, 0x01, byte(o.Value), 0xff, 0x55}
	}, vibrateOnly...)
}
