package protocols

import (
	"context"
	"fmt"
	"math"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// RealTouch (HID): 65-byte output reports, report id 00 then a command. At
// connect the host sends an empty report, 0a, then 06 02 a0 80 e8 03,
// reading the device's report after each (the contents are not used). A
// move of the stroking belt is 02 <20, +80 when moving down> <speed>
// <duration ms, 16 bits little-endian>; the speed byte runs from 40 (the
// slowest the belt moves) to 255 along the Fleshlight Launch's speed curve.
// The reference server (buttplug-rs) has no implementation; this is the
// one of buttplug-csharp, except that durations beyond 16 bits are capped
// instead of wrapped and speeds beyond the curve's 1 are capped at 255.

const (
	realtouchReportLen = 65
	realtouchBelt      = 0x20
	realtouchDown      = 0x80
	realtouchMinSpeed  = 40
)

var realtouchInit = [][]byte{{}, {0x0a}, {0x06, 0x02, 0xa0, 0x80, 0xe8, 0x03}}

func init() {
	Register("realtouch", func() Protocol { return initFunc(realtouchStart) })
	RegisterSimulator("realtouch", realtouchSim{})
}

// realtouchReport puts cmd behind the report id in a full report.
func realtouchReport(cmd ...byte) []byte {
	b := make([]byte, realtouchReportLen)
	copy(b[1:], cmd)
	return b
}

// realtouchSpeed is the speed byte for moving distance (0-1 of the belt's
// travel) in duration ms.
func realtouchSpeed(distance float64, duration uint32) byte {
	if distance <= 0 {
		return realtouchMinSpeed
	}
	speed := 250 * math.Pow(float64(duration)*90/(math.Min(distance, 1)*100), -1.05)
	speed = math.Min(speed, 1)
	return byte(realtouchMinSpeed + (0xff-realtouchMinSpeed)*speed)
}

func realtouchStart(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	for _, cmd := range realtouchInit {
		if err := link.Write(ctx, comm.EndpointTx, realtouchReport(cmd...), false); err != nil {
			return nil, fmt.Errorf("realtouch: init %x: %w", cmd, err)
		}
		if _, err := link.Read(ctx, comm.EndpointRx, realtouchReportLen); err != nil {
			return nil, fmt.Errorf("realtouch: read after init %x: %w", cmd, err)
		}
	}
	var pos int32 // 0-99; the belt starts at 0
	return perOutput(comm.EndpointTx, false, func(o Output) []byte {
		dir := byte(realtouchBelt)
		if o.Value < pos {
			dir |= realtouchDown
		}
		speed := realtouchSpeed(float64(abs32(o.Value-pos))/99, o.Duration)
		pos = o.Value
		d := min(o.Duration, 0xffff)
		return realtouchReport(0x02, dir, speed, byte(d), byte(d>>8))
	}, protocol.OutputHwPositionWithDuration), nil
}

// realtouchSim answers every read with an empty report.
type realtouchSim struct{ SimBase }

func (realtouchSim) Read(_ *SimState, ep comm.Endpoint, _ int) ([]byte, bool) {
	if ep != comm.EndpointRx {
		return nil, false
	}
	return make([]byte, realtouchReportLen), true
}
