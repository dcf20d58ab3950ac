package protocols

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Kiiroo ProWand, Spot and PowerShot (both motors in one packet): battery
// on the standard battery endpoint.

// bleBatteryHandler adds the standard battery read to a handler.
type bleBatteryHandler struct{ Handler }

func (bleBatteryHandler) ReadInput(ctx context.Context, link Link, _ uint32, typ protocol.InputType) (int32, error) {
	if typ != protocol.InputBattery {
		return 0, fmt.Errorf("%w: %s input", ErrUnsupported, typ)
	}
	return ReadBLEBattery(ctx, link)
}

func init() {
	RegisterGeneric("kiiroo-prowand", func(*config.Definition) (Handler, error) {
		return bleBatteryHandler{perOutput(comm.EndpointTx, false, func(o Output) []byte {
			on := byte(0)
			if o.Value != 0 {
				on = 0xff
			}
			return []byte{0x00, 0x00, 0x64, on, byte(o.Value), byte(o.Value)}
		}, protocol.OutputVibrate)}, nil
	})
	RegisterGeneric("kiiroo-powershot", func(def *config.Definition) (Handler, error) {
		return bleBatteryHandler{combined(def, comm.EndpointTx, true, isType(protocol.OutputVibrate), func(s *state) []byte {
			return []byte{0x01, 0x00, 0x00, byte(s.get(0)), byte(s.get(1)), 0x00}
		})}, nil
	})
	RegisterGeneric("kiiroo-spot", func(*config.Definition) (Handler, error) {
		return bleBatteryHandler{perOutput(comm.EndpointTx, false, func(o Output) []byte {
			return []byte{0x00, 0xff, 0x00, 0x00, 0x00, byte(o.Value)}
		}, protocol.OutputVibrate)}, nil
	})
}
