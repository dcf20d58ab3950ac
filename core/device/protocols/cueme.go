package protocols

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Cueme: one byte on tx, (motor+1)<<4 | speed (0-15), 00 to stop. The toys
// run one motor at a time, so while several are on the host switches to the
// next running motor every half second. The model number is the last part
// of the advertised name, FUNCODE_<x>_<model>.
const cuemeSwitch = 500 * time.Millisecond

func init() {
	Register("cueme", func() Protocol { return cuemeProto{} })
	RegisterSimulator("cueme", cuemeSim{})
}

// cuemeModel returns the model number of an advertised name, "" when the
// name has no model part.
func cuemeModel(name string) string {
	parts := strings.Split(name, "_")
	if len(parts) != 3 {
		return ""
	}
	return parts[2]
}

type cuemeProto struct{}

func (cuemeProto) Identify(_ context.Context, link Link) (string, error) {
	return cuemeModel(link.Name()), nil
}

func (cuemeProto) Init(_ context.Context, link Link, def *config.Definition) (Handler, error) {
	h := &cueme{link: link, features: newState(def).features}
	h.speeds = make([]byte, len(h.features))
	h.task = startTask(h.run)
	return h, nil
}

type cueme struct {
	*task
	link     Link
	features []uint32 // motors, by feature index

	// mu is held while the goroutine writes, so that a change the device
	// layer writes after Output returns is never overtaken by an older
	// motor switch.
	mu     sync.Mutex
	speeds []byte
	cur    int
}

func (h *cueme) Output(o Output) ([]Command, error) {
	motor := -1
	for i, f := range h.features {
		if f == o.Feature {
			motor = i
		}
	}
	if o.Type != protocol.OutputVibrate || motor < 0 {
		return nil, Unsupported(o)
	}
	h.mu.Lock()
	h.speeds[motor] = byte(o.Value) & 0x0f
	b := h.packet(h.cur)
	h.mu.Unlock()
	return []Command{Write(comm.EndpointTx, []byte{b}, false, h.features...)}, nil
}

// packet selects the first running motor from motor from on (wrapping) and
// returns its byte, 0 when none runs. h.mu is held.
func (h *cueme) packet(from int) byte {
	n := len(h.speeds)
	for k := 0; k < n; k++ {
		i := (from + k) % n
		if h.speeds[i] != 0 {
			h.cur = i
			return byte(i+1)<<4 | h.speeds[i]
		}
	}
	h.cur = 0
	return 0
}

// running counts the motors on; h.mu is held.
func (h *cueme) running() int {
	n := 0
	for _, s := range h.speeds {
		if s != 0 {
			n++
		}
	}
	return n
}

// run switches to the next running motor every cuemeSwitch while more than
// one runs.
func (h *cueme) run(ctx context.Context) {
	tick(ctx, cuemeSwitch, func(ctx context.Context) bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.running() < 2 {
			return true
		}
		b := h.packet(h.cur + 1)
		return !taskGone(ctx, taskWrite(ctx, h.link, comm.EndpointTx, []byte{b}, false))
	})
}

// cuemeSim advertises FUNCODE_SIM_<model>, as real toys put their model
// last.
type cuemeSim struct{ SimBase }

func (cuemeSim) Advertise(_ *config.Definition, identifier string, adv *comm.Advertisement) {
	if identifier != "" {
		adv.Name = "FUNCODE_SIM_" + identifier
	}
}
