package protocols

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Galaku: packets are "#" (0x23), a payload and a checksum, then scrambled
// with a key table chained on the previous scrambled byte. One-motor toys
// send 5a 00 00 01 31 <speed>; two-motor toys 5a 00 00 01 40 03 <m0> <m1>.
// The "AC695X_1(BLE)" pump uses a plain aa 01 0a 03 packet.

var galakuKeys = [4][12]byte{
	{0, 24, 152, 247, 165, 61, 13, 41, 37, 80, 68, 70},
	{0, 69, 110, 106, 111, 120, 32, 83, 45, 49, 46, 55},
	{0, 101, 120, 32, 84, 111, 121, 115, 10, 142, 157, 163},
	{0, 197, 214, 231, 248, 10, 50, 32, 111, 98, 13, 10},
}

// galakuPacket frames and scrambles a 10-byte payload.
func galakuPacket(payload []byte) []byte {
	plain := append([]byte{0x23}, payload...)
	var sum byte
	for _, b := range plain {
		sum += b
	}
	plain = append(plain, sum)
	out := []byte{plain[0]}
	for i := 1; i < len(plain) && i < 12; i++ {
		k := galakuKeys[out[i-1]&3][i]
		out = append(out, (k^plain[0]^plain[i])+k)
	}
	return out
}

func init() {
	Register("galaku", func() Protocol { return &galaku{} })
	RegisterSimulator("galaku", galakuSim{})
	registerCombined("galaku-pump", comm.EndpointTx, true,
		isType(protocol.OutputVibrate, protocol.OutputOscillate),
		func(s *state) []byte {
			data := []byte{0x5a, 0x00, 0x00, 0x01, 0x60, 0x03,
				byte(s.typeSlot(protocol.OutputOscillate)), byte(s.typeSlot(protocol.OutputVibrate)), 0x00, 0x00}
			return galakuPacket(data)
		})
}

type galaku struct{ name string }

func (g *galaku) Identify(_ context.Context, link Link) (string, error) {
	g.name = link.Name()
	return g.name, nil
}

func (g *galaku) Init(_ context.Context, _ Link, def *config.Definition) (Handler, error) {
	s := newState(def)
	pump := g.name == "AC695X_1(BLE)"
	return &galakuHandler{s: s, pump: pump}, nil
}

type galakuHandler struct {
	s    *state
	pump bool
}

func (h *galakuHandler) Output(o Output) ([]Command, error) {
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputOscillate, protocol.OutputConstrict:
	default:
		return nil, Unsupported(o)
	}
	h.s.set(o)
	var data []byte
	switch {
	case len(h.s.features) == 1 && h.pump:
		on := byte(0)
		if o.Value != 0 {
			on = 1
		}
		data = []byte{0xaa, 1, 10, 3, byte(o.Value), on, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	case len(h.s.features) == 1:
		data = galakuPacket([]byte{90, 0, 0, 1, 49, byte(o.Value), 0, 0, 0, 0})
	default:
		data = galakuPacket([]byte{90, 0, 0, 1, 64, 3, byte(h.s.slot(0)), byte(h.s.slot(1)), 0, 0})
	}
	return []Command{Write(comm.EndpointTx, data, false, h.s.all()...)}, nil
}

// ReadInput asks the battery level, answered on the battery endpoint.
func (h *galakuHandler) ReadInput(ctx context.Context, link Link, _ uint32, typ protocol.InputType) (int32, error) {
	if typ != protocol.InputBattery {
		return 0, fmt.Errorf("%w: %s input", ErrUnsupported, typ)
	}
	if err := link.Subscribe(ctx, comm.EndpointRxBLEBattery); err != nil {
		return 0, err
	}
	lis := link.Listen(comm.EndpointRxBLEBattery)
	defer lis.Close()
	if err := link.Write(ctx, comm.EndpointTx, galakuBatteryRequest, true); err != nil {
		return 0, err
	}
	select {
	case data, ok := <-lis.C():
		if !ok || len(data) == 0 {
			return 0, fmt.Errorf("galaku: %w while reading the battery", comm.ErrDisconnected)
		}
		return int32(data[0]), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

var galakuBatteryRequest = galakuPacket([]byte{90, 0, 0, 1, 19, 0, 0, 0, 0, 0})

// galakuSim answers the battery request on the battery endpoint.
type galakuSim struct{ SimBase }

func (galakuSim) Respond(st *SimState, ep comm.Endpoint, data []byte) []comm.Notification {
	if ep != comm.EndpointTx || string(data) != string(galakuBatteryRequest) {
		return nil
	}
	return []comm.Notification{{Endpoint: comm.EndpointRxBLEBattery, Data: []byte{byte(st.Battery)}}}
}
