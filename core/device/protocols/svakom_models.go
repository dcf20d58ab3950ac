package protocols

import (
	"context"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Svakom generations named after one model, 55 <kind> ... packets like the
// rest of the family (svakom.go). The reference asks for a keepalive on some
// of them only on hardware that needs one (iOS), so none is sent here, as
// for the older generations.

// svakomPairHandler drives two vibrators with one 55 03 <sel> 00 <on>
// <speed> 00 packet (see svakomPair); running is the <on> byte of a running
// device.
func svakomPairHandler(def *config.Definition, running byte) Handler {
	return combined(def, comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		sel, on, speed := svakomPair(byte(s.get(0)), byte(s.get(1)), len(s.features) == 1)
		return []byte{0x55, 0x03, sel, 0x00, on * running, speed, 0x00}
	})
}

// svakomSuitcaseLevel splits the Magic Suitcase's 0-30 scale into its
// intensity (1-3) and speed (1-10) bytes: 10 is intensity 1 speed 10, 11
// intensity 2 speed 1.
func svakomSuitcaseLevel(v int32) (intensity, speed byte) {
	if v <= 0 {
		return 0, 0
	}
	intensity, speed = byte(v/10+1), byte(v%10)
	if speed == 0 {
		intensity, speed = intensity-1, 10
	}
	return intensity, speed
}

func init() {
	registerPerOutput("svakom-avaneo", comm.EndpointTx, false, func(o Output) []byte {
		switch {
		case o.Feature == 0:
			return []byte{0x55, 0x03, 0x00, 0x00, onOff(o.Value), byte(o.Value)}
		case o.Type == protocol.OutputOscillate:
			return []byte{0x55, 0x08, 0x00, 0x00, byte(o.Value), 0xff}
		}
		return []byte{0x55, 0x09, 0x00, 0x00, byte(o.Value), 0xff}
	}, protocol.OutputVibrate, protocol.OutputOscillate)
	RegisterGeneric("svakom-barney", func(def *config.Definition) (Handler, error) {
		return svakomPairHandler(def, 0x03), nil
	})
	RegisterGeneric("svakom-v4", func(def *config.Definition) (Handler, error) {
		return svakomPairHandler(def, 0x01), nil
	})
	registerPerOutput("svakom-dice", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x55, 0x04, 0x00, 0x00, 0x01, byte(o.Value), 0xaa}
	}, vibrateOnly...)
	registerPerOutput("svakom-dt250a", comm.EndpointTx, false, func(o Output) []byte {
		if o.Type == protocol.OutputConstrict {
			return []byte{0x55, 0x09, 0x00, 0x00, byte(o.Value), 0x00}
		}
		kind := byte(0x03)
		if o.Feature != 0 {
			kind = 0x08
		}
		return []byte{0x55, kind, 0x00, 0x00, byte(o.Value), onOff(o.Value)}
	}, protocol.OutputVibrate, protocol.OutputConstrict)
	registerPerOutput("svakom-jordan", comm.EndpointTx, false, func(o Output) []byte {
		kind := byte(0x03)
		if o.Type == protocol.OutputOscillate {
			kind = 0x08
		}
		return []byte{0x55, kind, 0x00, 0x00, onOff(o.Value), byte(o.Value), 0x00}
	}, protocol.OutputVibrate, protocol.OutputOscillate)
	registerPerOutput("svakom-suitcase", comm.EndpointTx, false, func(o Output) []byte {
		if o.Feature != 0 {
			return []byte{0x55, 0x09, 0x00, 0x00, byte(o.Value), 0x00}
		}
		intensity, speed := svakomSuitcaseLevel(o.Value)
		return []byte{0x55, 0x03, 0x00, 0x00, intensity, speed}
	}, vibrateOnly...)
	registerPerOutput("svakom-tarax", comm.EndpointTx, false, func(o Output) []byte {
		if o.Feature != 0 {
			return []byte{0x55, 0x09, 0x00, 0x00, byte(o.Value), 0x00}
		}
		// The first motor stops with 01 01, not with a zero speed.
		if o.Value == 0 {
			return []byte{0x55, 0x03, 0x00, 0x00, 0x01, 0x01}
		}
		return []byte{0x55, 0x03, 0x00, 0x00, byte(o.Value), 0x02}
	}, vibrateOnly...)
	Register("svakom-sam", func() Protocol { return initFunc(svakomSamInit) })
}

// svakomSamInit subscribes to rx, as the vendor app does, and picks the
// packet generation: the Sam Neo 2 (a txmode or firmware characteristic)
// has speed control, the first Sam Neo only a fixed mode 05.
func svakomSamInit(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("svakom-sam: subscribe rx: %w", err)
	}
	gen2 := link.HasEndpoint(comm.EndpointTxMode) || link.HasEndpoint(comm.EndpointFirmware)
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		if o.Type == protocol.OutputConstrict {
			return []byte{0x12, 0x06, 0x01, byte(o.Value)}
		}
		mode := byte(0x05)
		if gen2 {
			mode = 4 * onOff(o.Value)
		}
		return []byte{0x12, 0x01, 0x03, 0x00, mode, byte(o.Value)}
	}, protocol.OutputVibrate, protocol.OutputConstrict), nil
}
