package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Zalo: <mode> <motor 1> <motor 2>, with response; mode 01 runs, 02 stops.
// A motor at 0 is written as 01 as in the reference implementation: only
// mode 02 stops the toy, so while one motor runs the other runs at its
// lowest speed.
func init() {
	registerCombined("zalo", comm.EndpointTx, true, isType(protocol.OutputVibrate), func(s *state) []byte {
		a, b := byte(s.get(0)), byte(s.get(1))
		mode := byte(0x01)
		if a == 0 && b == 0 {
			mode = 0x02
		}
		return []byte{mode, max(a, 1), max(b, 1)}
	})
}
