package protocols

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Kiiroo v2.1 and v3: vibration 01 <speed>, strokes 03 00 <speed> <position>
// on tx (speed by the Launch curve, see launchSpeed).
//
// kiiroo-v21 reads the battery from byte 5 of a 20-byte read of the
// whitelist endpoint. kiiroo-v21-initialized (Onyx+, Keon) must first be
// sent 03 00 64 19 and 03 00 64 00 with response. kiiroo-v3 (Keon Wifi)
// speaks kiiroo-v21 but has no whitelist endpoint to read the battery from.
func init() {
	newHandler := func(*config.Definition) (Handler, error) { return newKiirooV21(), nil }
	RegisterGeneric("kiiroo-v21", newHandler)
	RegisterGeneric("kiiroo-v3", newHandler)
	Register("kiiroo-v21-initialized", func() Protocol {
		return withInit{
			packets: [][]byte{{0x03, 0x00, 0x64, 0x19}, {0x03, 0x00, 0x64, 0x00}},
			new:     func(*config.Definition) Handler { return newKiirooV21() },
		}
	})
	RegisterSimulator("kiiroo-v21", kiirooV21Sim{})
}

// kiirooV21BatteryLen is the length of the whitelist read holding the
// battery level.
const kiirooV21BatteryLen = 20

type kiirooV21 struct {
	HandlerFunc
}

func newKiirooV21() Handler {
	s := &launchStroke{}
	return kiirooV21{perOutput(comm.EndpointTx, false, func(o Output) []byte {
		switch o.Type {
		case protocol.OutputVibrate:
			return []byte{0x01, byte(o.Value)}
		case protocol.OutputHwPositionWithDuration:
			pos, speed := s.move(o)
			return []byte{0x03, 0x00, speed, pos}
		}
		return nil
	})}
}

// ReadInput reads the battery level from the whitelist endpoint.
func (kiirooV21) ReadInput(ctx context.Context, link Link, _ uint32, typ protocol.InputType) (int32, error) {
	if typ != protocol.InputBattery {
		return 0, fmt.Errorf("%w: %s input", ErrUnsupported, typ)
	}
	if !link.HasEndpoint(comm.EndpointWhitelist) {
		return 0, fmt.Errorf("%w: battery (no whitelist endpoint)", ErrUnsupported)
	}
	b, err := link.Read(ctx, comm.EndpointWhitelist, kiirooV21BatteryLen)
	if err != nil {
		return 0, fmt.Errorf("kiiroo: read battery: %w", err)
	}
	if len(b) != kiirooV21BatteryLen {
		return 0, fmt.Errorf("%w: battery reading of %d bytes, want %d", ErrBadReply, len(b), kiirooV21BatteryLen)
	}
	return int32(b[5]), nil
}

// kiirooV21Sim answers whitelist reads with the battery level in byte 5.
type kiirooV21Sim struct{ SimBase }

func (kiirooV21Sim) Read(st *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	if ep != comm.EndpointWhitelist {
		return nil, false
	}
	b := make([]byte, kiirooV21BatteryLen)
	b[5] = byte(st.Battery)
	return b, true
}
