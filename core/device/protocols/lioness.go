package protocols

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
)

// Lioness: 02 aa bb cc cc <speed>. Connecting subscribes rx and writes
// 01 aa aa bb cc 10 with response; that write fails until the toy is paired
// with the operating system (PIN 6496 or 006496).
func init() {
	Register("lioness", func() Protocol { return lioness{} })
}

type lioness struct{}

func (lioness) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (lioness) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("lioness: subscribe rx: %w", err)
	}
	if err := link.Write(ctx, comm.EndpointTx, []byte{0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10}, true); err != nil {
		return nil, fmt.Errorf("lioness: start (the toy may need pairing with the OS, PIN 6496 or 006496): %w", err)
	}
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x02, 0xaa, 0xbb, 0xcc, 0xcc, byte(o.Value)}
	}, vibrateOnly...), nil
}
