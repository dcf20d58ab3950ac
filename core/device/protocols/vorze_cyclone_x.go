package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Vorze Cyclone X10 (HID): one 16-byte report,
//
//	00 3c 30 31 35 32 30 <30+direction> <30+speed> 30 30 01 02 03 68 3e
//
// direction 0 clockwise, 1 counter-clockwise; speed 0-10. The reference
// server (buttplug-rs) has no implementation; this is the one of
// buttplug-csharp. A stop keeps the direction of the last rotation, as
// there.
func init() {
	RegisterGeneric("vorze-cyclone-x", func(*config.Definition) (Handler, error) {
		var counter byte
		return perOutput(comm.EndpointTx, false, func(o Output) []byte {
			switch {
			case o.Value > 0:
				counter = 0
			case o.Value < 0:
				counter = 1
			}
			return []byte{0x00, 0x3c, 0x30, 0x31, 0x35, 0x32, 0x30, 0x30 + counter, 0x30 + byte(abs32(o.Value)), 0x30, 0x30, 0x01, 0x02, 0x03, 0x68, 0x3e}
		}, protocol.OutputRotate), nil
	})
}
