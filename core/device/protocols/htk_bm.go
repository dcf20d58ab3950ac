package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// HTK breast massager: one byte on tx says which side runs (the motors are
// on or off, there is no speed): 11 both, 12 left, 13 right, 15 none.
func init() {
	registerCombined("htk_bm", comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		left, right := s.get(0) != 0, s.get(1) != 0
		switch {
		case left && right:
			return []byte{11}
		case left:
			return []byte{12}
		case right:
			return []byte{13}
		}
		return []byte{15}
	})
}
