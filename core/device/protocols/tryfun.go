package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// TryFun: packets end in a checksum of 0xff minus the bytes after the
// first, plus their count. The Black Hole numbers its packets.

func tryfunSum(data []byte, extra byte) byte {
	sum := byte(0xff)
	n := extra
	for _, b := range data[1:] {
		sum -= b
		n++
	}
	return sum + n
}

func init() {
	registerPerOutput("tryfun", comm.EndpointTx, true, func(o Output) []byte {
		v := byte(abs32(o.Value))
		switch o.Type {
		case protocol.OutputOscillate, protocol.OutputRotate:
			code := byte(0x07)
			if o.Type == protocol.OutputRotate {
				code = 0x08
			}
			d := []byte{0xaa, 0x02, code, v}
			return append(d, tryfunSum(d, 0))
		case protocol.OutputVibrate:
			if v == 0 {
				return []byte{0x00, 0x02, 0x00, 0x05, 1, 2, 0x01, 1, 0xfd - 1}
			}
			return []byte{0x00, 0x02, 0x00, 0x05, 2, v, 0x01, 0, 0xfd - v}
		}
		return nil
	}, protocol.OutputOscillate, protocol.OutputRotate, protocol.OutputVibrate)
	RegisterGeneric("tryfun-meta2", func(*config.Definition) (Handler, error) {
		var id byte
		return perOutput(comm.EndpointTx, false, func(o Output) []byte {
			var code, v byte
			switch o.Type {
			case protocol.OutputOscillate:
				code, v = 0x0b, byte(o.Value)
			case protocol.OutputVibrate:
				code, v = 0x08, byte(o.Value)
			case protocol.OutputRotate:
				s := int8(o.Value)
				if s >= 0 {
					s++
				}
				code, v = 0x0e, byte(-s)
			}
			d := []byte{id, 0x02, 0x00, 0x05, 0x21, 0x05, code, v}
			id++
			return append(d, tryfunSum(d, 1))
		}, protocol.OutputOscillate, protocol.OutputVibrate, protocol.OutputRotate), nil
	})
	RegisterGeneric("tryfun-blackhole", func(*config.Definition) (Handler, error) {
		var id byte
		return perOutput(comm.EndpointTx, false, func(o Output) []byte {
			code := byte(0x09)
			if o.Type == protocol.OutputOscillate {
				code = 0x0c
			}
			d := []byte{id, 0x02, 0x00, 0x03, code, byte(o.Value)}
			id++
			return append(d, tryfunSum(d, 1))
		}, protocol.OutputVibrate, protocol.OutputOscillate), nil
	})
}
