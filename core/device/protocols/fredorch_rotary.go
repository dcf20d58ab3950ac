package protocols

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Fredorch rotary machines (M1_*): 55 03 <cmd> <cmd+3> aa on tx. Connecting
// writes the handshake (99), the password, power up (1f) and stop (24),
// waiting up to 100 ms after each for an answer that may not come. The
// speed cannot be set, only stepped: 01 one faster, 02 one slower, 24 stop.
// A goroutine steps towards the requested speed. The machine reports
// nothing: if it beeps twice it powered off and must be reconnected.
const (
	fredorchRotaryFaster = 0x01
	fredorchRotarySlower = 0x02
	fredorchRotaryStop   = 0x24
	fredorchRotaryWait   = 100 * time.Millisecond
)

func init() {
	Register("fredorch-rotary", func() Protocol { return fredorchRotaryProto{} })
}

func fredorchRotaryCmd(cmd byte) []byte { return []byte{0x55, 0x03, cmd, cmd + 3, 0xaa} }

type fredorchRotaryProto struct{}

func (fredorchRotaryProto) Identify(_ context.Context, link Link) (string, error) {
	return link.Name(), nil
}

func (fredorchRotaryProto) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("fredorch-rotary: subscribe rx: %w", err)
	}
	steps := []struct {
		what string
		data []byte
	}{
		{"handshake", fredorchRotaryCmd(0x99)},
		{"password", []byte{0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa}},
		{"power up", fredorchRotaryCmd(0x1f)},
		{"stop", fredorchRotaryCmd(fredorchRotaryStop)},
	}
	for _, st := range steps {
		if err := link.Write(ctx, comm.EndpointTx, st.data, false); err != nil {
			return nil, fmt.Errorf("fredorch-rotary: %s: %w", st.what, err)
		}
		if _, _, err := awaitNotification(ctx, lis, fredorchRotaryWait); err != nil {
			return nil, fmt.Errorf("fredorch-rotary: %s: %w", st.what, err)
		}
	}
	h := &fredorchRotary{link: link, wake: make(chan struct{}, 1)}
	h.task = startTask(h.run)
	return h, nil
}

type fredorchRotary struct {
	*task
	link Link
	wake chan struct{}

	// mu is held while the goroutine writes a step, so that a stop the
	// device layer writes after Output returns is never overtaken by one.
	mu              sync.Mutex
	target, current int32
}

func (h *fredorchRotary) Output(o Output) ([]Command, error) {
	if o.Type != protocol.OutputOscillate {
		return nil, Unsupported(o)
	}
	h.mu.Lock()
	h.target = o.Value
	if o.Value == 0 {
		h.current = 0
		h.mu.Unlock()
		return []Command{Write(comm.EndpointTx, fredorchRotaryCmd(fredorchRotaryStop), false, o.Feature)}, nil
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return nil, nil
}

// run steps the speed until it is the target, then waits for a new one.
func (h *fredorchRotary) run(ctx context.Context) {
	for {
		h.mu.Lock()
		if h.current == h.target {
			h.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
			}
			continue
		}
		cmd, next := byte(fredorchRotaryFaster), h.current+1
		if h.target < h.current {
			cmd, next = fredorchRotarySlower, h.current-1
		}
		err := taskWrite(ctx, h.link, comm.EndpointTx, fredorchRotaryCmd(cmd), false)
		if err == nil {
			h.current = next
		}
		h.mu.Unlock()
		if err != nil {
			return
		}
	}
}
