package protocols

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Hismith machines report their model on rxblemodel (hex digits of the
// bytes). A few legacy models speak "hismith" (aa <slot> <speed> <sum>);
// every other one speaks "hismith-mini" (cc <slot> <speed> <sum>), whatever
// its advertised name matched.

var legacyHismiths = map[string]bool{"1001": true, "1002": true, "1003": true, "3001": true, "2001": true, "1006": true}

func init() {
	Register("hismith", func() Protocol { return &hismith{legacyAllowed: true} })
	Register("hismith-mini", func() Protocol { return &hismith{} })
	RegisterSimulator("hismith", hismithSim{})
	RegisterSimulator("hismith-mini", hismithSim{})
}

type hismith struct {
	legacyAllowed bool
	proto         string
}

func (h *hismith) Identify(ctx context.Context, link Link) (string, error) {
	b, err := link.Read(ctx, comm.EndpointRxBLEModel, 128)
	if err != nil {
		return "", fmt.Errorf("hismith: read model: %w", err)
	}
	id := hex.EncodeToString(b)
	h.proto = "hismith-mini"
	if h.legacyAllowed && legacyHismiths[id] {
		h.proto = "hismith"
	}
	return id, nil
}

func (h *hismith) Protocol() string { return h.proto }

func hismithPacket(head, slot, v byte) []byte { return []byte{head, slot, v, v + slot} }

func (h *hismith) Init(_ context.Context, _ Link, def *config.Definition) (Handler, error) {
	if h.proto == "hismith" {
		return HandlerFunc(func(o Output) ([]Command, error) {
			v := byte(o.Value)
			switch o.Type {
			case protocol.OutputOscillate:
				return []Command{Write(comm.EndpointTx, hismithPacket(0xaa, 0x04, v), false, o.Feature)}, nil
			case protocol.OutputVibrate:
				slot := byte(0x04)
				if o.Feature != 0 {
					slot = 0x06
					if v == 0 {
						v = 0xf0
					}
				}
				return []Command{Write(comm.EndpointTx, hismithPacket(0xaa, slot, v), false, o.Feature)}, nil
			}
			return nil, Unsupported(o)
		}), nil
	}
	vibes := 0
	secondConstrict := false
	for i, f := range def.Features {
		if f.Output(protocol.OutputVibrate) != nil {
			vibes++
		}
		if f.Output(protocol.OutputConstrict) != nil && i == 1 {
			secondConstrict = true
		}
	}
	return HandlerFunc(func(o Output) ([]Command, error) {
		v := byte(o.Value)
		var slot byte
		switch o.Type {
		case protocol.OutputOscillate:
			slot = 0x03
		case protocol.OutputVibrate:
			slot = 0x03
			if vibes < 2 || o.Feature == 1 {
				slot = 0x05
			}
		case protocol.OutputConstrict:
			slot = 0x03
			if secondConstrict {
				slot = 0x05
			}
		case protocol.OutputRotate:
			speed := byte(abs32(o.Value))
			dir := []byte{0xcc, 0x01, 0xc0, 0xc1}
			if o.Value < 0 {
				dir = []byte{0xcc, 0x01, 0xc1, 0xc2}
			}
			return []Command{
				Write(comm.EndpointTx, hismithPacket(0xcc, 0x03, speed), false, o.Feature),
				Write(comm.EndpointTx, dir, false, ProtocolKey(0)),
			}, nil
		case protocol.OutputSpray:
			return []Command{Write(comm.EndpointTx, []byte{0xcc, 0x0b, 0x01, 0x0c}, false, o.Feature)}, nil
		default:
			return nil, Unsupported(o)
		}
		return []Command{Write(comm.EndpointTx, hismithPacket(0xcc, slot, v), false, o.Feature)}, nil
	}), nil
}

// hismithSim answers the model read with the configuration identifier.
type hismithSim struct{ SimBase }

func (hismithSim) Read(st *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	if ep != comm.EndpointRxBLEModel {
		return nil, false
	}
	b, err := hex.DecodeString(st.Identifier)
	if err != nil {
		return nil, false
	}
	return b, true
}
