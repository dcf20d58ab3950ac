package protocols

import "github.com/bphost/bphost/core/device/comm"

// MyMuse Link Plus: aa 55 06 01 01 01 <speed> ff, and a packet of its own
// (aa 55 06 aa 00 00 00 00) to stop.
func init() {
	registerPerOutput("mymuselinkplus", comm.EndpointTx, false, func(o Output) []byte {
		if o.Value == 0 {
			return []byte{0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00}
		}
		return []byte{0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, byte(o.Value), 0xff}
	}, vibrateOnly...)
}
