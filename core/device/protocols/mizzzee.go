package protocols

import (
	"encoding/binary"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Mizz Zee: 69 96 03 01 <on> <speed>; v2: 69 96 04 02 <speed> 2c <speed>.
// Mizz Zee v3 takes 20-byte packets
// whose intensity is a 10-bit value scaled into 30-100% of the motor's
// power, and stops unless the packet is repeated every 200 ms.
func init() {
	registerPerOutput("mizzzee", comm.EndpointTx, false, func(o Output) []byte {
		on := byte(0)
		if o.Value != 0 {
			on = 1
		}
		return []byte{0x69, 0x96, 0x03, 0x01, on, byte(o.Value)}
	}, vibrateOnly...)
	registerPerOutput("mizzzee-v2", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x69, 0x96, 0x04, 0x02, byte(o.Value), 0x2c, byte(o.Value)}
	}, vibrateOnly...)
	RegisterGeneric("mizzzee-v3", func(*config.Definition) (Handler, error) {
		return keepalive{perOutput(comm.EndpointTx, true, mizzzeeV3Packet, protocol.OutputVibrate), 200 * time.Millisecond}, nil
	})
}

func mizzzeeV3Packet(o Output) []byte {
	b := make([]byte, 20)
	b[0], b[1] = 0x03, 0x12
	if o.Value == 0 {
		return b
	}
	// Single precision on purpose: the device's scale was tuned with it.
	// The conversions keep the compiler from fusing the multiply-adds.
	f := float32(o.Value) / 1000
	f = float32(f*0.7) + 0.3
	scaled := float32(f * 1023)
	v := uint16(scaled)<<6 | 60
	fill := []byte{0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01}
	out := append([]byte{0x03, 0x12, 0xf3}, fill...)
	out = binary.LittleEndian.AppendUint16(out, v)
	out = append(out, fill...)
	out = binary.LittleEndian.AppendUint16(out, v)
	return append(out, 0x00)
}
