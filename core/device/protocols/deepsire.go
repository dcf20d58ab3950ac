package protocols

import "github.com/bphost/bphost/core/device/comm"

// DeepSire: 55 04 01 00 00 <speed> aa.
func init() {
	registerPerOutput("deepsire", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x55, 0x04, 0x01, 0x00, 0x00, byte(o.Value), 0xaa}
	}, vibrateOnly...)
}
