package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// We-Vibe, three generations, all 8-byte packets with response carrying the
// internal (motor 0) and external (motor 1, or motor 0 on one-motor toys)
// speeds; 0f 00 ... stops both.
//   legacy: 0f 03 00 <ext | int<<4> 00 03 00 00, after two setup packets
//   8bit:   0f 03 00 <ext+3> <int+3> <status> 00 00
//   chorus: 0f 03 00 <int> <ext> <status> 00 00
// status has bit 1 set when ext runs and bit 0 when int runs.

func weVibe(def *config.Definition, pack func(in, ext byte) []byte) Handler {
	vibes := 0
	for _, f := range def.Features {
		if f.Output(protocol.OutputVibrate) != nil {
			vibes++
		}
	}
	return combined(def, comm.EndpointTx, true, isType(protocol.OutputVibrate), func(s *state) []byte {
		in, ext := byte(s.slot(0)), byte(s.slot(0))
		if vibes > 1 {
			ext = byte(s.slot(1))
		}
		if in == 0 && ext == 0 {
			return []byte{0x0f, 0, 0, 0, 0, 0, 0, 0}
		}
		return pack(in, ext)
	})
}

func weVibeStatus(in, ext byte) byte {
	var s byte
	if ext != 0 {
		s |= 2
	}
	if in != 0 {
		s |= 1
	}
	return s
}

func init() {
	Register("wevibe", func() Protocol {
		return withInit{
			packets: [][]byte{{0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00}, {0x0f, 0, 0, 0, 0, 0, 0, 0}},
			new: func(def *config.Definition) Handler {
				return weVibe(def, func(in, ext byte) []byte {
					return []byte{0x0f, 0x03, 0x00, ext | in<<4, 0x00, 0x03, 0x00, 0x00}
				})
			},
		}
	})
	RegisterGeneric("wevibe-8bit", func(def *config.Definition) (Handler, error) {
		return weVibe(def, func(in, ext byte) []byte {
			return []byte{0x0f, 0x03, 0x00, ext + 3, in + 3, weVibeStatus(in, ext), 0x00, 0x00}
		}), nil
	})
	RegisterGeneric("wevibe-chorus", func(def *config.Definition) (Handler, error) {
		return weVibe(def, func(in, ext byte) []byte {
			return []byte{0x0f, 0x03, 0x00, in, ext, weVibeStatus(in, ext), 0x00, 0x00}
		}), nil
	})
}
