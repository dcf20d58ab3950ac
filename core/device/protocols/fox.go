package protocols

import "github.com/bphost/bphost/core/device/comm"

// Fox: 03 01 01 fe <speed>.
func init() {
	registerPerOutput("fox", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x03, 0x01, 0x01, 0xfe, byte(o.Value)}
	}, vibrateOnly...)
}
