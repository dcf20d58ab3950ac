package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// iToys: vibrate a0 01 00 00 <speed> ff; oscillate a0 06 <on> 00 <on> <speed>.
func init() {
	registerPerOutput("itoys", comm.EndpointTx, false, func(o Output) []byte {
		if o.Type == protocol.OutputVibrate {
			return []byte{0xa0, 0x01, 0x00, 0x00, byte(o.Value), 0xff}
		}
		on := byte(0)
		if o.Value != 0 {
			on = 1
		}
		return []byte{0xa0, 0x06, on, 0x00, on, byte(o.Value)}
	}, protocol.OutputVibrate, protocol.OutputOscillate)
}
