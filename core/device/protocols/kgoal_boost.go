package protocols

import (
	"context"
	"fmt"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// KGoal Boost: a pelvic-floor trainer with no outputs. Notifications of
// rxpressure carry the normalized pressure (feature 0) in bytes 3-4 and the
// raw pressure (feature 1) in bytes 5-6, big-endian. Readings are reported
// when they change.
func init() {
	RegisterGeneric("kgoal-boost", func(*config.Definition) (Handler, error) {
		return &kgoal{subs: map[uint32]func(int32){}}, nil
	})
}

type kgoal struct {
	mu     sync.Mutex
	subs   map[uint32]func(int32) // feature → emit
	cancel context.CancelFunc
	done   chan struct{}
}

func (*kgoal) Output(o Output) ([]Command, error) { return nil, Unsupported(o) }

func (k *kgoal) SubscribeInput(ctx context.Context, link Link, feature uint32, typ protocol.InputType, emit func(int32)) error {
	if typ != protocol.InputPressure || feature > 1 {
		return fmt.Errorf("%w: %s on feature %d", ErrUnsupported, typ, feature)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.subs) == 0 {
		lis := link.Listen(comm.EndpointRxPressure)
		if err := link.Subscribe(ctx, comm.EndpointRxPressure); err != nil {
			lis.Close()
			return err
		}
		rctx, cancel := context.WithCancel(context.Background())
		k.cancel, k.done = cancel, make(chan struct{})
		go k.read(rctx, lis, k.done)
	}
	k.subs[feature] = emit
	return nil
}

func (k *kgoal) read(ctx context.Context, lis Listener, done chan struct{}) {
	defer close(done)
	defer lis.Close()
	last := [2]int32{-1, -1}
	for {
		var data []byte
		select {
		case <-ctx.Done():
			return
		case d, ok := <-lis.C():
			if !ok {
				return
			}
			data = d
		}
		if len(data) < 7 {
			continue
		}
		values := [2]int32{int32(data[3])<<8 | int32(data[4]), int32(data[5])<<8 | int32(data[6])}
		k.mu.Lock()
		for f := uint32(0); f < 2; f++ {
			if emit, ok := k.subs[f]; ok && values[f] != last[f] {
				emit(values[f])
			}
		}
		k.mu.Unlock()
		last = values
	}
}

func (k *kgoal) UnsubscribeInput(ctx context.Context, link Link, feature uint32, _ protocol.InputType) error {
	k.mu.Lock()
	if _, ok := k.subs[feature]; !ok {
		k.mu.Unlock()
		return nil
	}
	delete(k.subs, feature)
	last := len(k.subs) == 0
	k.mu.Unlock()
	if !last {
		return nil
	}
	k.stop()
	return link.Unsubscribe(ctx, comm.EndpointRxPressure)
}

func (k *kgoal) stop() {
	k.mu.Lock()
	cancel, done := k.cancel, k.done
	k.cancel, k.done = nil, nil
	k.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Close ends the reading goroutine.
func (k *kgoal) Close() { k.stop() }
