package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Sexverse (metaXsire) generations:
//
//	v1: 23 07 <3n> (<80|slot> <kind> <value>)... <xor>, every actuator at
//	    once; kind 06 rotate, 04 constrict/oscillate, 03 otherwise.
//	v2: aa 04 at connect, then aa 03 01 <motor+1> 64 <speed> with response.
//	v4: bb 01 <speed> 66 with response.
//	v5: aa 03 03 <speed> 00 00 00.
func init() {
	RegisterGeneric("sexverse-v1", func(def *config.Definition) (Handler, error) {
		type slot struct {
			feature uint32
			typ     protocol.OutputType
			value   byte
		}
		var slots []slot
		var feats []uint32
		for _, f := range def.Features {
			for _, o := range f.Outputs {
				slots = append(slots, slot{feature: f.Index, typ: o.Type})
			}
			if len(f.Outputs) > 0 {
				feats = append(feats, f.Index)
			}
		}
		return HandlerFunc(func(o Output) ([]Command, error) {
			// The slot of this feature and type, else the feature's first.
			idx := -1
			for i, s := range slots {
				if s.feature == o.Feature && s.typ == o.Type {
					idx = i
					break
				}
				if s.feature == o.Feature && idx < 0 {
					idx = i
				}
			}
			if idx < 0 {
				return nil, Unsupported(o)
			}
			slots[idx].value = byte(abs32(o.Value))
			data := []byte{0x23, 0x07, byte(3 * len(slots))}
			for i, s := range slots {
				kind := byte(0x03)
				switch s.typ {
				case protocol.OutputRotate:
					kind = 0x06
				case protocol.OutputConstrict, protocol.OutputOscillate:
					kind = 0x04
				}
				data = append(data, 0x80|byte(i+1), kind, s.value)
			}
			var crc byte
			for _, b := range data {
				crc ^= b
			}
			return []Command{Write(comm.EndpointTx, append(data, crc), false, feats...)}, nil
		}), nil
	})
	Register("sexverse-v2", func() Protocol {
		return withInit{packets: [][]byte{{0xaa, 0x04}}, new: func(*config.Definition) Handler {
			return perOutput(comm.EndpointTx, true, func(o Output) []byte {
				return []byte{0xaa, 0x03, 0x01, byte(o.Feature + 1), 0x64, byte(o.Value)}
			}, protocol.OutputVibrate, protocol.OutputOscillate)
		}}
	})
	registerCombined("sexverse-lg389", comm.EndpointTx, true, isType(protocol.OutputVibrate, protocol.OutputOscillate), func(s *state) []byte {
		vibe, osc := byte(s.typeSlot(protocol.OutputVibrate)), byte(s.typeSlot(protocol.OutputOscillate))
		var rng, anchor byte
		if osc != 0 {
			rng, anchor = 4, 1
		}
		return []byte{0xaa, 0x05, vibe, 0x14, anchor, 0x00, rng, 0x00, osc, 0x00}
	})
	registerPerOutput("sexverse-v4", comm.EndpointTx, true, func(o Output) []byte {
		return []byte{0xbb, 0x01, byte(o.Value), 0x66}
	}, vibrateOnly...)
	registerPerOutput("sexverse-v5", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0xaa, 0x03, 0x03, byte(o.Value), 0, 0, 0}
	}, vibrateOnly...)
}
