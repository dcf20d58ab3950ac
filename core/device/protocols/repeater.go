package protocols

import (
	"context"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
)

// repeater writes a packet to a device every interval while packet returns
// one, for toys that stop unless they keep hearing their command. Close
// stops its goroutine.
type repeater struct {
	link     Link
	interval time.Duration
	withResp bool

	mu     sync.Mutex
	packet []byte
	once   sync.Once
	quit   chan struct{}
	done   chan struct{}
}

func newRepeater(link Link, interval time.Duration, withResponse bool) *repeater {
	r := &repeater{link: link, interval: interval, withResp: withResponse, quit: make(chan struct{}), done: make(chan struct{})}
	go r.run()
	return r
}

// set replaces the repeated packet; nil pauses the repeats.
func (r *repeater) set(packet []byte) {
	r.mu.Lock()
	r.packet = packet
	r.mu.Unlock()
}

func (r *repeater) run() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
		}
		r.mu.Lock()
		p := r.packet
		r.mu.Unlock()
		if p == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := r.link.Write(ctx, comm.EndpointTx, p, r.withResp)
		cancel()
		if err != nil {
			return
		}
	}
}

// Close stops the repeats.
func (r *repeater) Close() {
	r.once.Do(func() { close(r.quit) })
	<-r.done
}
