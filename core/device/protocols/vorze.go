package protocols

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Vorze SA: <device type> <action or data...>, always with response. The
// configuration's protocol variant says which handler a model needs; some
// variants also look at the advertised name for the device type byte.
const (
	vorzeCyclone = 1
	vorzeUfo     = 2
	vorzePiston  = 3
	vorzeUfoTw   = 5
	vorzeBach    = 6
	vorzeRocket  = 7
	vorzeOmorfi  = 9

	vorzeRotate  = 1
	vorzeVibrate = 3
)

func init() {
	Register("vorze-sa", func() Protocol { return &vorze{} })
}

type vorze struct{ name string }

func (v *vorze) Identify(_ context.Context, link Link) (string, error) {
	v.name = link.Name()
	return v.name, nil
}

// vorzeRotation packs direction (bit 7 set = clockwise) and speed.
func vorzeRotation(v int32) byte {
	b := byte(abs32(v))
	if v >= 0 {
		b |= 0x80
	}
	return b
}

func (v *vorze) Init(_ context.Context, _ Link, def *config.Definition) (Handler, error) {
	name := strings.ToLower(v.name)
	unknown := fmt.Errorf("%w: Vorze device %q (variant %q)", ErrUnsupported, v.name, def.ProtocolVariant)
	switch def.ProtocolVariant {
	case "vorze-sa-single-rotator":
		dev := byte(0)
		switch {
		case strings.Contains(name, "cycsa"):
			dev = vorzeCyclone
		case strings.Contains(name, "ufo"):
			dev = vorzeUfo
		default:
			return nil, unknown
		}
		return perOutput(comm.EndpointTx, true, func(o Output) []byte {
			return []byte{dev, vorzeRotate, vorzeRotation(o.Value)}
		}, protocol.OutputRotate), nil
	case "vorze-sa-dual-rotator":
		return combined(def, comm.EndpointTx, true, isType(protocol.OutputRotate), func(s *state) []byte {
			return []byte{vorzeUfoTw, vorzeRotation(s.get(0)), vorzeRotation(s.get(1))}
		}), nil
	case "vorze-sa-single-vibrator":
		dev := byte(0)
		switch {
		case strings.Contains(name, "bach"):
			dev = vorzeBach
		case strings.Contains(name, "rocket"):
			dev = vorzeRocket
		default:
			return nil, unknown
		}
		return perOutput(comm.EndpointTx, true, func(o Output) []byte {
			return []byte{dev, vorzeVibrate, byte(o.Value)}
		}, protocol.OutputVibrate), nil
	case "vorze-sa-dual-vibrator":
		if !strings.Contains(name, "omor") {
			return nil, unknown
		}
		return combined(def, comm.EndpointTx, true, isType(protocol.OutputVibrate), func(s *state) []byte {
			return []byte{vorzeOmorfi, byte(s.get(0)), byte(s.get(1))}
		}), nil
	case "vorze-sa-piston":
		var prev byte
		return perOutput(comm.EndpointTx, true, func(o Output) []byte {
			pos := byte(o.Value)
			speed := vorzePistonSpeed(math.Abs(float64(prev)-float64(pos)), float64(o.Duration))
			prev = pos
			return []byte{vorzePiston, pos, speed}
		}, protocol.OutputHwPositionWithDuration), nil
	}
	return nil, unknown
}

// vorzePistonSpeed turns a move of distance (0-200) in duration ms into the
// Piston's speed byte, by the vendor's curve.
func vorzePistonSpeed(distance, duration float64) byte {
	if distance <= 0 {
		return 100
	}
	distance = math.Min(distance, 200)
	duration = 200 * duration / distance
	speed := math.Pow(duration/6658, -1.21)
	return byte(math.Max(0, math.Min(100, speed)))
}
