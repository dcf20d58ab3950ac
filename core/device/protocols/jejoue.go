package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Je Joue: <pattern> <speed>, one motor at a time: pattern 2 runs motor 0,
// 3 runs motor 1, 1 with speed 0 stops.
func init() {
	registerCombined("jejoue", comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		switch {
		case s.get(0) > 0:
			return []byte{2, byte(s.get(0))}
		case s.get(1) > 0:
			return []byte{3, byte(s.get(1))}
		}
		return []byte{1, 0}
	})
}
