package protocols

import (
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
)

// Youcups: the ASCII command $SYS,<speed>?.
func init() {
	registerPerOutput("youcups", comm.EndpointTx, false, func(o Output) []byte {
		return fmt.Appendf(nil, "$SYS,%d?", byte(o.Value))
	}, vibrateOnly...)
}
