package protocols

import (
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// TCode v0.3 (serial DIY machines): ASCII lines. Linear axis
// "L<axis><pos, 2+ digits>I<ms>", position "L0<pos>" and "R0<pos>" with 3
// digits, vibration "V<axis><speed, 2 digits>".
func init() {
	registerPerOutput("tcode-v03", comm.EndpointTx, false, func(o Output) []byte {
		switch o.Type {
		case protocol.OutputPosition:
			return []byte(fmt.Sprintf("L0%03d\nR0%03d\n", o.Value, o.Value))
		case protocol.OutputHwPositionWithDuration:
			return []byte(fmt.Sprintf("L%d%02dI%d\n", o.Feature, o.Value, o.Duration))
		case protocol.OutputVibrate:
			return []byte(fmt.Sprintf("V%d%02d\n", o.Feature, o.Value))
		}
		return nil
	}, protocol.OutputPosition, protocol.OutputHwPositionWithDuration, protocol.OutputVibrate)
}
