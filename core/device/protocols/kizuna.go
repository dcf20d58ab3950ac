package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Kizuna Smart (serial): the rotation speed as one ASCII digit and CR LF.
func init() {
	registerPerOutput("kizuna", comm.EndpointTx, false, func(o Output) []byte {
		speed := abs32(o.Value)
		if speed > 9 {
			// One digit is all the device reads; the configured range
			// stops at 9.
			return nil
		}
		return []byte{'0' + byte(speed), '\r', '\n'}
	}, protocol.OutputRotate)
}
