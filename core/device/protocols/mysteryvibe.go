package protocols

import (
	"context"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// MysteryVibe: 43 02 00 on txmode at connect (03 02 40 for the second
// generation); then every motor's speed in one packet on txvibrate,
// repeated every 93 ms or the toy stops.
func init() {
	Register("mysteryvibe", func() Protocol { return mysteryVibe{mode: []byte{0x43, 0x02, 0x00}} })
	Register("mysteryvibe-v2", func() Protocol { return mysteryVibe{mode: []byte{0x03, 0x02, 0x40}} })
}

// mysteryVibe writes mode at connect.
type mysteryVibe struct{ mode []byte }

func (mysteryVibe) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (p mysteryVibe) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	if err := link.Write(ctx, comm.EndpointTxMode, p.mode, true); err != nil {
		return nil, err
	}
	h := combined(def, comm.EndpointTxVibrate, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		out := make([]byte, len(s.features))
		for i := range s.features {
			out[i] = byte(s.slot(i))
		}
		return out
	})
	return keepalive{h, 93 * time.Millisecond}, nil
}
