package protocols

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Ankni (Roselex): devices that show a 6-byte MAC on generic0 want a
// handshake whose checksum is the high byte of a CRC-16/XMODEM over 0x01 and
// the MAC. Commands are 20-byte packets 03 12 <speed> 0...
func init() {
	Register("ankni", func() Protocol { return ankni{} })
	RegisterSimulator("ankni", ankniSim{})
}

type ankni struct{}

func (ankni) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (ankni) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	mac, err := link.Read(ctx, comm.EndpointGeneric0, 16)
	if err != nil {
		return nil, fmt.Errorf("ankni: read address: %w", err)
	}
	if len(mac) <= 6 {
		check := byte(crc16xmodem(append([]byte{0x01}, mac...)) >> 8)
		first := make([]byte, 20)
		for i := range first {
			first[i] = 0x01
		}
		if err := link.Write(ctx, comm.EndpointTx, first, true); err != nil {
			return nil, err
		}
		second := make([]byte, 20)
		second[0], second[1] = 0x01, 0x02
		for i := 2; i < 18; i++ {
			second[i] = check
		}
		if err := link.Write(ctx, comm.EndpointTx, second, true); err != nil {
			return nil, err
		}
	}
	return perOutput(comm.EndpointTx, true, func(o Output) []byte {
		b := make([]byte, 20)
		b[0], b[1], b[2] = 0x03, 0x12, byte(o.Value)
		return b
	}, protocol.OutputVibrate), nil
}

func crc16xmodem(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// ankniSim shows a long identifier on generic0, so no handshake is needed.
type ankniSim struct{ SimBase }

func (ankniSim) Read(_ *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	if ep != comm.EndpointGeneric0 {
		return nil, false
	}
	return []byte("SIMANKNI"), true
}
