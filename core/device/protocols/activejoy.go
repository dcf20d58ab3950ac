package protocols

import "github.com/bphost/bphost/core/device/comm"

// ActiveJoy: b0 <mode 1=vibrate> 00 <motor> <on> <speed>.
func init() {
	registerPerOutput("activejoy", comm.EndpointTx, false, func(o Output) []byte {
		on := byte(0)
		if o.Value != 0 {
			on = 1
		}
		return []byte{0xb0, 0x01, 0x00, byte(o.Feature), on, byte(o.Value)}
	}, vibrateOnly...)
}
