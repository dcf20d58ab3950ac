package protocols

import (
	"context"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// JoyHub: motors 0-3 travel together in a0 03 <m0> <m1> <m2> <m3> aa;
// constriction, heat, light and the lube pump have their own packets. The
// pump is switched off again one second after it starts.
func init() {
	Register("joyhub", func() Protocol {
		return Generic{NewLinked: func(link Link, def *config.Definition) (Handler, error) {
			return &joyhub{s: newState(def), link: link}, nil
		}}
	})
}

type joyhub struct {
	s      *state
	motors [4]byte

	mu    sync.Mutex
	link  Link
	timer *time.Timer
}

func (h *joyhub) Output(o Output) ([]Command, error) {
	w := func(b ...byte) ([]Command, error) {
		return []Command{Write(comm.EndpointTx, b, false, o.Feature)}, nil
	}
	on := byte(0)
	if o.Value != 0 {
		on = 1
	}
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputRotate, protocol.OutputOscillate:
		if o.Feature > 3 {
			return nil, Unsupported(o)
		}
		h.motors[o.Feature] = byte(abs32(o.Value))
		var feats []uint32
		for _, f := range h.s.features {
			if f <= 3 {
				feats = append(feats, f)
			}
		}
		m := h.motors
		return []Command{Write(comm.EndpointTx, []byte{0xa0, 0x03, m[0], m[1], m[2], m[3], 0xaa}, false, feats...)}, nil
	case protocol.OutputConstrict:
		if o.Feature == 4 {
			return w(0xa0, 0x07, on, 0x00, byte(o.Value), 0xff)
		}
		return w(0xa0, 0x0d, 0x00, 0x00, byte(o.Value), 0xff)
	case protocol.OutputTemperature:
		if on == 0 {
			return w(0xa0, 0x04, 0, 0, 0, 0)
		}
		return w(0xa0, 0x04, 0x01, 0x00, 0x01, 0xff)
	case protocol.OutputLed:
		if on == 0 {
			return w(0xa0, 0x14, 0, 0, 0, 0)
		}
		return w(0xa0, 0x14, 0x01, 0x00, 0x01, 0xff)
	case protocol.OutputSpray:
		if on == 0 {
			return w(0xa0, 0x24, 0, 0, 0, 0)
		}
		h.stopSprayLater()
		return w(0xa0, 0x24, 0x01, 0x00, 0x01, 0xff)
	}
	return nil, Unsupported(o)
}

// stopSprayLater switches the pump off after a second, as the vendor app
// does.
func (h *joyhub) stopSprayLater() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.link == nil {
		return
	}
	if h.timer != nil {
		h.timer.Stop()
	}
	link := h.link
	h.timer = time.AfterFunc(time.Second, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = link.Write(ctx, comm.EndpointTx, []byte{0xa0, 0x24, 0, 0, 0, 0}, false)
	})
}

// Close cancels a pending pump stop.
func (h *joyhub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.timer != nil {
		h.timer.Stop()
	}
	h.link = nil
}
