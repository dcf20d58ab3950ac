package protocols

import "github.com/bphost/bphost/core/device/comm"

// Picobong: 01 <mode> <speed>; mode 01 runs the motor at the speed, ff
// stops it.
func init() {
	registerPerOutput("picobong", comm.EndpointTx, false, func(o Output) []byte {
		mode := byte(0x01)
		if o.Value == 0 {
			mode = 0xff
		}
		return []byte{0x01, mode, byte(o.Value)}
	}, vibrateOnly...)
}
