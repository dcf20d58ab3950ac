package protocols

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Satisfyer: the model number (a big-endian u32) comes from the
// manufacturer data of the advertisement, or from rxblemodel. After 01 on
// "command", each packet repeats every motor's speed four times; the toys
// stop unless the packet is repeated every few seconds.
func init() {
	Register("satisfyer", func() Protocol { return satisfyer{} })
	RegisterSimulator("satisfyer", satisfyerSim{})
}

type satisfyer struct{}

func (satisfyer) Identify(ctx context.Context, link Link) (string, error) {
	for _, data := range link.Advertisement().ManufacturerData {
		return satisfyerModel(data), nil
	}
	b, err := link.Read(ctx, comm.EndpointRxBLEModel, 128)
	if err != nil {
		return "", fmt.Errorf("satisfyer: read model: %w", err)
	}
	return satisfyerModel(b), nil
}

func satisfyerModel(b []byte) string {
	if len(b) != 4 {
		return "0"
	}
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b)), 10)
}

func (satisfyer) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	if err := link.Write(ctx, comm.EndpointCommand, []byte{0x01}, true); err != nil {
		return nil, err
	}
	h := combined(def, comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		out := make([]byte, 0, 4*len(s.features))
		for i := range s.features {
			v := byte(s.slot(i))
			out = append(out, v, v, v, v)
		}
		return out
	})
	return keepalive{h, 3 * time.Second}, nil
}

// satisfyerSim answers the model read with the configuration identifier.
type satisfyerSim struct{ SimBase }

// Advertise puts the model number into the manufacturer data, as the toys
// do.
func (satisfyerSim) Advertise(_ *config.Definition, identifier string, adv *comm.Advertisement) {
	n, err := strconv.ParseUint(identifier, 10, 32)
	if err != nil {
		return
	}
	for company := range adv.ManufacturerData {
		adv.ManufacturerData[company] = binary.BigEndian.AppendUint32(nil, uint32(n))
	}
}

func (satisfyerSim) Read(st *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	n, err := strconv.ParseUint(st.Identifier, 10, 32)
	if ep != comm.EndpointRxBLEModel || err != nil {
		return nil, false
	}
	return binary.BigEndian.AppendUint32(nil, uint32(n)), true
}
