package protocols

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Vibratissimo: the model is the string on rxblemodel. Every command puts
// the toy in motor control mode (03 ff on txmode), then writes every
// motor's speed on txvibrate; a one-motor toy gets a second byte, 00.
func init() {
	Register("vibratissimo", func() Protocol { return vibratissimo{} })
	RegisterSimulator("vibratissimo", vibratissimoSim{})
}

type vibratissimo struct{}

// Identify reads the model; a model that is not text falls back to the
// advertised name.
func (vibratissimo) Identify(ctx context.Context, link Link) (string, error) {
	b, err := link.Read(ctx, comm.EndpointRxBLEModel, 128)
	if err != nil {
		return "", fmt.Errorf("vibratissimo: read model: %w", err)
	}
	if !utf8.Valid(b) {
		return link.Name(), nil
	}
	return string(b), nil
}

func (vibratissimo) Init(_ context.Context, _ Link, def *config.Definition) (Handler, error) {
	s := newState(def)
	vibes := outputFeatures(def, protocol.OutputVibrate)
	return HandlerFunc(func(o Output) ([]Command, error) {
		if o.Type != protocol.OutputVibrate {
			return nil, Unsupported(o)
		}
		s.set(o)
		data := make([]byte, 0, 2)
		for _, f := range vibes {
			data = append(data, byte(s.get(f)))
		}
		if len(data) == 1 {
			data = append(data, 0x00)
		}
		// The mode packet is the same every time: a protocol key lets a
		// newer one replace a waiting one without dropping the speeds.
		return []Command{
			Write(comm.EndpointTxMode, []byte{0x03, 0xff}, false, ProtocolKey(0)),
			Write(comm.EndpointTxVibrate, data, false, vibes...),
		}, nil
	}), nil
}

// vibratissimoSim tells its model.
type vibratissimoSim struct{ SimBase }

func (vibratissimoSim) Read(st *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	if ep != comm.EndpointRxBLEModel {
		return nil, false
	}
	return []byte(st.Identifier), true
}
