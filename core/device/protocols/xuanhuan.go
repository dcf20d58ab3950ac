package protocols

import (
	"context"
	"sync"
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
			h := &xuanhuan{link: link, quit: make(chan struct{}), done: make(chan struct{})}
			go h.repeat()
			return h, nil
		}}
	})
}

type xuanhuan struct {
	link Link

	mu    sync.Mutex
	speed byte
	once  sync.Once
	quit  chan struct{}
	done  chan struct{}
}

func (h *xuanhuan) Output(o Output) ([]Command, error) {
	if o.Type != protocol.OutputVibrate {
		return nil, Unsupported(o)
	}
	h.mu.Lock()
	h.speed = byte(o.Value)
	h.mu.Unlock()
	return []Command{Write(comm.EndpointTx, []byte{0x03, 0x02, 0x00, byte(o.Value)}, true, o.Feature)}, nil
}

func (h *xuanhuan) repeat() {
	defer close(h.done)
	t := time.NewTicker(300 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-h.quit:
			return
		case <-t.C:
		}
		h.mu.Lock()
		v := h.speed
		h.mu.Unlock()
		if v == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := h.link.Write(ctx, comm.EndpointTx, []byte{0x03, 0x02, 0x00, v}, true)
		cancel()
		if err != nil {
			return
		}
	}
}

// Close stops the repeating goroutine.
func (h *xuanhuan) Close() {
	h.once.Do(func() { close(h.quit) })
	<-h.done
}
