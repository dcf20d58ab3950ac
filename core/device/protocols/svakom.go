package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Svakom: a family of 6-7 byte packets starting 0x55 (0x12 for the Alex
// Neo), one protocol name per generation.

func onOff(v int32) byte {
	if v == 0 {
		return 0
	}
	return 1
}

// svakomPair encodes the two-vibrator packet of v5/v6: which motor runs
// (0 both or the same speed, 1 first, 2 second), on/off and the top speed.
func svakomPair(a, b byte, single bool) (sel, on, speed byte) {
	switch {
	case single || (a > 0 && b > 0) || a == b:
		sel = 0
	case a > 0:
		sel = 1
	default:
		sel = 2
	}
	if a != 0 || b != 0 {
		on = 1
	}
	return sel, on, max(a, b)
}

func init() {
	registerPerOutput("svakom-alex", comm.EndpointTx, false, func(o Output) []byte {
		v := byte(o.Value)
		if v == 0 {
			v = 0xff
		}
		return []byte{18, 1, 3, 0, v, 0}
	}, vibrateOnly...)
	registerPerOutput("svakom-alex-v2", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x55, 3, 3, 0, byte(o.Value), byte(o.Value) + 5}
	}, vibrateOnly...)
	registerPerOutput("svakom-v1", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x55, 0x04, 0x03, 0x00, onOff(o.Value), byte(o.Value)}
	}, vibrateOnly...)
	registerPerOutput("svakom-v2", comm.EndpointTx, true, func(o Output) []byte {
		if o.Feature == 1 {
			return []byte{0x55, 0x06, 0x01, 0x00, byte(o.Value), byte(o.Value)}
		}
		return []byte{0x55, 0x03, 0x03, 0x00, onOff(o.Value), byte(o.Value)}
	}, vibrateOnly...)
	registerPerOutput("svakom-v3", comm.EndpointTx, false, func(o Output) []byte {
		if o.Type == protocol.OutputRotate {
			return []byte{0x55, 0x08, 0x00, 0x00, byte(o.Value), 0xff}
		}
		if o.Feature == 0 {
			return []byte{0x55, 0x03, 0x03, 0x00, onOff(o.Value), byte(o.Value)}
		}
		return []byte{0x55, 0x09, 0x00, 0x00, onOff(o.Value), byte(o.Value)}
	}, protocol.OutputVibrate, protocol.OutputRotate)
	registerPerOutput("svakom-pulse", comm.EndpointTx, false, func(o Output) []byte {
		return []byte{0x55, 0x03, 0x03, 0x00, onOff(o.Value), byte(o.Value) + 1}
	}, vibrateOnly...)
	registerPerOutput("svakom-barnard", comm.EndpointTx, false, func(o Output) []byte {
		if o.Type == protocol.OutputOscillate {
			on := byte(0)
			if o.Value != 0 {
				on = 0xff
			}
			return []byte{0x55, 0x08, 0x00, 0x00, byte(o.Value), on}
		}
		return []byte{0x55, 0x03, 0x00, 0x00, byte(o.Value), onOff(o.Value)}
	}, protocol.OutputVibrate, protocol.OutputOscillate)
	registerPerOutput("svakom-sam2", comm.EndpointTx, true, func(o Output) []byte {
		if o.Type == protocol.OutputConstrict {
			return []byte{0x55, 0x09, 0x00, 0x00, onOff(o.Value), byte(o.Value), 0x00}
		}
		return []byte{0x55, 0x03, 0x00, 0x00, 5 * onOff(o.Value), byte(o.Value), 0x00}
	}, protocol.OutputVibrate, protocol.OutputConstrict)
	RegisterGeneric("svakom-iker", func(def *config.Definition) (Handler, error) {
		s := newState(def)
		return HandlerFunc(func(o Output) ([]Command, error) {
			if o.Type != protocol.OutputVibrate {
				return nil, Unsupported(o)
			}
			s.set(o)
			a, b := byte(s.get(0)), byte(s.get(1))
			if a == 0 && b == 0 {
				return []Command{Write(comm.EndpointTx, []byte{0x55, 0x07, 0, 0, 0, 0}, false, o.Feature)}, nil
			}
			cmds := []Command{Write(comm.EndpointTx, []byte{0x55, 0x03, 0x03, 0x00, 0x01, a}, false, o.Feature)}
			if b > 0 {
				cmds = append(cmds, Write(comm.EndpointTx, []byte{0x55, 0x07, 0x00, 0x00, b, 0x00}, false, o.Feature))
			}
			return cmds, nil
		}), nil
	})
	RegisterGeneric("svakom-v5", func(def *config.Definition) (Handler, error) {
		s := newState(def)
		vibes := outputFeatures(def, protocol.OutputVibrate)
		return HandlerFunc(func(o Output) ([]Command, error) {
			switch o.Type {
			case protocol.OutputOscillate:
				return []Command{Write(comm.EndpointTx, []byte{0x55, 0x09, 0x00, 0x00, byte(o.Value), 0x00}, false, o.Feature)}, nil
			case protocol.OutputVibrate:
				s.set(o)
				sel, on, speed := svakomPair(byte(s.get(0)), byte(s.get(1)), false)
				return []Command{Write(comm.EndpointTx, []byte{0x55, 0x03, sel, 0x00, on, speed}, false, vibes...)}, nil
			}
			return nil, Unsupported(o)
		}), nil
	})
	RegisterGeneric("svakom-v6", func(def *config.Definition) (Handler, error) {
		s := newState(def)
		var pair []uint32
		for _, f := range def.Features {
			if f.Output(protocol.OutputVibrate) != nil && f.Index < 2 {
				pair = append(pair, f.Index)
			}
		}
		single := 0
		for _, f := range def.Features {
			if f.Output(protocol.OutputVibrate) != nil {
				single++
			}
		}
		return HandlerFunc(func(o Output) ([]Command, error) {
			if o.Type != protocol.OutputVibrate {
				return nil, Unsupported(o)
			}
			s.set(o)
			if o.Feature < 2 {
				sel, on, speed := svakomPair(byte(s.get(0)), byte(s.get(1)), single == 1)
				return []Command{Write(comm.EndpointTx, []byte{0x55, 0x03, sel, 0x00, on, speed, 0x00}, false, pair...)}, nil
			}
			v := byte(s.get(2))
			return []Command{Write(comm.EndpointTx, []byte{0x55, 0x07, 0x00, 0x00, onOff(int32(v)), v, 0x00}, false, o.Feature)}, nil
		}), nil
	})
}
