package protocols

import (
	"time"

	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Hgod: the speed is only ever sent by repetition, 55 04 00 00 00 <speed>
// every 100 ms while running.
func init() {
	Register("hgod", func() Protocol {
		return Generic{NewLinked: func(link Link, _ *config.Definition) (Handler, error) {
			return &hgod{newRepeater(link, 100*time.Millisecond, false)}, nil
		}}
	})
}

type hgod struct{ *repeater }

func (h *hgod) Output(o Output) ([]Command, error) {
	if o.Type != protocol.OutputVibrate {
		return nil, Unsupported(o)
	}
	if o.Value == 0 {
		h.set(nil)
	} else {
		h.set([]byte{0x55, 0x04, 0, 0, 0, byte(o.Value)})
	}
	return nil, nil
}
