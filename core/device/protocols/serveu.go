package protocols

import (
	"math"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// ServeU: 01 <position> <speed>, the speed worked out from the distance to
// travel (positions per second) on the vendor's piecewise scale.
func init() {
	RegisterGeneric("serveu", func(*config.Definition) (Handler, error) {
		var last byte
		return perOutput(comm.EndpointTx, false, func(o Output) []byte {
			goal := byte(o.Value)
			dist := math.Abs(float64(int8(goal)) - float64(int8(last)))
			last = goal
			rate := math.Ceil(dist / (float64(o.Duration) / 1000))
			var speed byte
			switch {
			case rate <= 0.00001:
				speed = 0
			case rate <= 50:
				speed = byte(math.Ceil(rate / 2))
			case rate <= 750:
				speed = byte(math.Ceil((rate-50)/4)) + 25
			case rate <= 2000:
				speed = byte(math.Ceil((rate-750)/25)) + 200
			default:
				speed = 0xfa
			}
			return []byte{0x01, goal, speed}
		}, protocol.OutputHwPositionWithDuration), nil
	})
}
