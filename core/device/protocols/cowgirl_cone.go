package protocols

import (
	"context"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// The Cowgirl Cone: aa 56 00 00 at connect, then three seconds before it
// listens; f1 01 <speed> 00.
func init() {
	Register("cowgirl-cone", func() Protocol { return cowgirlCone{} })
}

type cowgirlCone struct{}

func (cowgirlCone) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (cowgirlCone) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	if err := link.Write(ctx, comm.EndpointTx, []byte{0xaa, 0x56, 0x00, 0x00}, false); err != nil {
		return nil, err
	}
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0xf1, 0x01, byte(o.Value), 0x00}
	}, protocol.OutputVibrate), nil
}
