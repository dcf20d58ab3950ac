package protocols

import (
	"context"
	"strings"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Foreo: 01 <mode> <speed> with response; the mode depends on the model
// name (UFO/FOFO 1, UFO 2-style "smart 2" 3, others 0).
func init() {
	Register("foreo", func() Protocol {
		return &foreo{}
	})
}

type foreo struct{ name string }

func (f *foreo) Identify(ctx context.Context, link Link) (string, error) {
	f.name = link.Name()
	return f.name, nil
}

func (f *foreo) Init(_ context.Context, _ Link, _ *config.Definition) (Handler, error) {
	n := strings.ToLower(f.name)
	mode := byte(0)
	switch {
	case strings.Contains(n, "smart") && strings.Contains(n, "2"):
		mode = 3
	case strings.Contains(n, "fofo") || strings.Contains(n, "ufo"):
		mode = 1
	}
	return perOutput(comm.EndpointTx, true, func(o Output) []byte {
		return []byte{0x01, mode, byte(o.Value)}
	}, protocol.OutputVibrate), nil
}
