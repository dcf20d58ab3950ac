package protocols

import (
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Xuanhuan: 03 02 00 <speed> with response; the toy wants the running
// speed repeated every 300 ms.
func init() {
	Register("xuanhuan", func() Protocol {
		return Generic{NewLinked: func(link Link, _ *config.Definition) (Handler, error) {
			return &xuanhuan{newRepeater(link, 300*time.Millisecond, true)}, nil
		}}
	})
}

type xuanhuan struct{ *repeater }

func (h *xuanhuan) Output(o Output) ([]Command, error) {
	if o.Type != protocol.OutputVibrate {
		return nil, Unsupported(o)
	}
	p := []byte{0x03, 0x02, 0x00, byte(o.Value)}
	if o.Value == 0 {
		h.set(nil)
	} else {
		h.set(p)
	}
	return []Command{Write(comm.EndpointTx, p, true, o.Feature)}, nil
}
