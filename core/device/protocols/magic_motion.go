package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Magic Motion, four generations of the same packet family:
//
//	v1: 0b ff 04 0a 32 32 00 04 08 <speed> 64 00
//	v2: 10 ff 04 0a 32 0a 00 04 08 <m0> 64 00 04 08 <m1> 64 01
//	v3: 0b ff 04 0a 46 46 00 04 08 <speed> 64 00
//	v4: 10 ff 04 0a 32 32 00 04 08 <m0> 64 00 04 08 <m1> 64 01, with response
func init() {
	registerPerOutput("magic-motion-1", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, byte(o.Value), 0x64, 0x00}
	}, protocol.OutputVibrate, protocol.OutputOscillate)
	registerCombined("magic-motion-2", comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		return []byte{0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, byte(s.get(0)), 0x64, 0x00, 0x04, 0x08, byte(s.get(1)), 0x64, 0x01}
	})
	registerPerOutput("magic-motion-3", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, byte(o.Value), 0x64, 0x00}
	}, vibrateOnly...)
	RegisterGeneric("magic-motion-4", func(def *config.Definition) (Handler, error) {
		single := len(newState(def).features) == 1
		return combined(def, comm.EndpointTx, true, isType(protocol.OutputVibrate), func(s *state) []byte {
			a, b := byte(s.get(0)), byte(s.get(1))
			if single {
				a = byte(s.slot(0))
				b = a
			}
			return []byte{0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, a, 0x64, 0x00, 0x04, 0x08, b, 0x64, 0x01}
		}), nil
	})
}
