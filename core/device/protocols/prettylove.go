package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// Pretty Love (Aogu): 00 <speed>, with response. The advertised names carry
// a serial number, so every device resolves to the "Aogu BLE" identifier.
func init() {
	Register("prettylove", func() Protocol {
		return identifiedAs{ident: "Aogu BLE", Generic: Generic{New: func(*config.Definition) (Handler, error) {
			return perOutput(comm.EndpointTx, true, func(o Output) []byte {
				return []byte{0x00, byte(o.Value)}
			}, vibrateOnly...), nil
		}}}
	})
}
