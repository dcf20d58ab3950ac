package protocols

import (
	"context"
	"fmt"
	"math"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Kiiroo v2 (Fleshlight Launch, Onyx 2): <position 0-99> <speed> on tx.
// Connecting writes 00 to the firmware endpoint, with response, before any
// command. The speed comes from the Launch's curve for the distance to move
// and the duration.
//
// Kiiroo v2 vibrators: the speeds of three motors (0-100) in one packet,
// whatever number of motors the model has.
func init() {
	Register("kiiroo-v2", func() Protocol { return kiirooV2{} })
	registerCombined("kiiroo-v2-vibrator", comm.EndpointTx, false, isType(protocol.OutputVibrate), func(s *state) []byte {
		return []byte{byte(s.get(0)), byte(s.get(1)), byte(s.get(2))}
	})
}

type kiirooV2 struct{}

func (kiirooV2) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (kiirooV2) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	if err := link.Write(ctx, comm.EndpointFirmware, []byte{0x00}, true); err != nil {
		return nil, fmt.Errorf("kiiroo-v2: initialise via the firmware endpoint: %w", err)
	}
	s := &launchStroke{}
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		pos, speed := s.move(o)
		return []byte{pos, speed}
	}, protocol.OutputHwPositionWithDuration), nil
}

// launchStroke remembers the last position (0-99) of a stroker driven with
// the Launch's position-and-speed commands.
type launchStroke struct{ prev int32 }

// move records the target of o and returns it with the speed that covers
// the distance from the previous position in o's duration.
func (s *launchStroke) move(o Output) (pos, speed byte) {
	distance := math.Abs(float64(s.prev-o.Value)) / 99
	s.prev = o.Value
	return byte(o.Value), launchSpeed(distance, o.Duration)
}

// launchSpeed is the Launch speed byte for moving distance (0-1 of the
// stroke) in duration ms: 99 * 250 * (duration*90 / (distance*100))^-1.05.
// Short, fast moves exceed 99; like the reference, the value is only capped
// at 255 (and a move of nothing gets 0).
func launchSpeed(distance float64, duration uint32) byte {
	if distance < 0 {
		return 0
	}
	distance = math.Min(distance, 1)
	v := 99 * 250 * math.Pow(float64(duration)*90/(distance*100), -1.05)
	switch {
	case math.IsNaN(v) || v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return byte(v)
}
