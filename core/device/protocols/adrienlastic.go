package protocols

import (
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
)

// Adrien Lastic: ASCII "MotorValue:<2 digits>;", written with response.
func init() {
	registerPerOutput("adrienlastic", comm.EndpointTx, true, func(o Output) []byte {
		return []byte(fmt.Sprintf("MotorValue:%02d;", o.Value))
	}, vibrateOnly...)
}
