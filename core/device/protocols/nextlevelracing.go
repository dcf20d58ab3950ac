package protocols

import (
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
)

// Next Level Racing HF8 haptic pad (serial): M<motor><speed> and CR, both
// numbers in decimal.
func init() {
	registerPerOutput("nextlevelracing", comm.EndpointTx, false, func(o Output) []byte {
		return fmt.Appendf(nil, "M%d%d\r", o.Feature, o.Value)
	}, vibrateOnly...)
}
