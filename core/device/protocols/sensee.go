package protocols

import (
	"context"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Sensee: 55 aa f0 01 01 0b 65 f7 01 01 <speed>.
//
// Sensee v2 reads its device type (byte 6 of a read of tx, 0x65 when
// absent) and sends every actuator in one packet:
// 55 aa f0 02 00 <len> <type> f1 <groups> (<group> <n> (<k> <v>)...)... 00 00
// with groups 0 vibrate, 1 thrust (oscillate), 2 suction (constrict).
func init() {
	registerPerOutput("sensee", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, byte(o.Value)}
	}, vibrateOnly...)
	Register("sensee-v2", func() Protocol { return senseeV2{} })
	RegisterSimulator("sensee-v2", senseeV2Sim{})
}

type senseeV2 struct{}

func (senseeV2) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (senseeV2) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	res, err := link.Read(ctx, comm.EndpointTx, 128)
	if err != nil {
		return nil, err
	}
	devType := byte(0x65)
	if len(res) > 6 && res[6] != 0 {
		devType = res[6]
	}
	groups := []protocol.OutputType{protocol.OutputVibrate, protocol.OutputOscillate, protocol.OutputConstrict}
	members := make([][]uint32, len(groups))
	for _, f := range def.Features {
		for g, t := range groups {
			if f.Output(t) != nil {
				members[g] = append(members[g], f.Index)
			}
		}
	}
	return combined(def, comm.EndpointTx, false, isType(groups...), func(s *state) []byte {
		var data []byte
		n := byte(0)
		for _, m := range members {
			if len(m) > 0 {
				n++
			}
		}
		data = append(data, n)
		for g, m := range members {
			if len(m) == 0 {
				continue
			}
			data = append(data, byte(g), byte(len(m)))
			for k, f := range m {
				data = append(data, byte(k+1), byte(s.get(f)))
			}
		}
		out := []byte{0x55, 0xaa, 0xf0, 0x02, 0x00, byte(4 + len(data)), devType, 0xf1}
		out = append(out, data...)
		return append(out, 0, 0)
	}), nil
}

// senseeV2Sim reports device type 0x66 when tx is read.
type senseeV2Sim struct{ SimBase }

func (senseeV2Sim) Read(_ *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	if ep != comm.EndpointTx {
		return nil, false
	}
	return []byte{0x55, 0xaa, 0xf0, 0x02, 0x00, 0x04, 0x66}, true
}
