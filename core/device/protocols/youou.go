package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// Youou: aa 55 <packet number> 02 03 01 <speed> <running>, the XOR of those
// eight bytes, ff and seven zeros. The packet number counts up from 0 per
// connection. Every device, whatever its "VX001_..." name, resolves to the
// "VX001_" identifier.
func init() {
	Register("youou", func() Protocol {
		return identifiedAs{ident: "VX001_", Generic: Generic{New: func(*config.Definition) (Handler, error) {
			var packet byte
			return perOutput(comm.EndpointTx, false, func(o Output) []byte {
				b := []byte{0xaa, 0x55, packet, 0x02, 0x03, 0x01, byte(o.Value), onOff(o.Value)}
				packet++
				return append(b, xor8(b), 0xff, 0, 0, 0, 0, 0, 0, 0)
			}, vibrateOnly...), nil
		}}}
	})
}
