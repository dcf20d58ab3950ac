package protocols

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Nintendo Joy-Con (HID): 64-byte output reports <report> <packet number>
// <left rumble, 4 bytes> <right rumble, 4 bytes> <subcommand> <data...>.
// At connect subcommand 48 01 (report 01) switches vibration on; from then
// on a report 10 carrying the rumble (200 Hz at the amplitude asked, the
// same on both sides) goes out every 15 ms, as the reference sends it. The
// rumble encoding, quirks included, is the reference's.

const (
	joyconReportLen      = 0x40
	joyconReportSubcmd   = 0x01
	joyconReportRumble   = 0x10
	joyconSubcmdVibrate  = 0x48
	joyconRumbleInterval = 15 * time.Millisecond
	joyconRumbleFreq     = 200
)

func init() {
	Register("nintendo-joycon", func() Protocol { return initFunc(joyconInit) })
}

// joyconReport builds an output report.
func joyconReport(report, packet byte, rumble [4]byte, subcmd byte, data ...byte) []byte {
	b := make([]byte, joyconReportLen)
	b[0], b[1] = report, packet
	copy(b[2:6], rumble[:])
	copy(b[6:10], rumble[:])
	b[10] = subcmd
	copy(b[11:], data)
	return b
}

// joyconRumble encodes a rumble at freq Hz (0-1252) and amplitude (0-1.799),
// in float32 like the reference, whose integer conversions saturate. The
// explicit float32 conversions round each product, so no platform fuses it
// with the following addition and lands on another byte.
func joyconRumble(freq, amp float32) [4]byte {
	freq = min(max(freq, 0), 1252)
	amp = min(max(amp, 0), 1.799)
	log2 := func(v float32) float32 { return float32(math.Log2(float64(v))) }
	toU8 := func(v float32) uint8 {
		r := math.Round(float64(v))
		switch {
		case math.IsNaN(r) || r <= 0:
			return 0
		case r >= 255:
			return 255
		}
		return uint8(r)
	}
	hexFreq := toU8(log2(freq/10) * 32)
	var hexAmp uint8
	switch {
	case amp > 0.23:
		hexAmp = toU8(log2(amp*8.7) * 32)
	case amp > 0.12:
		hexAmp = toU8(log2(amp*17) * 16)
	default:
		hexAmp = toU8((float32(log2(amp)*32) - 96) / (4 - float32(2*amp)))
	}
	hfFreq := uint16(hexFreq-min(hexFreq, 0x60)) * 4
	lfFreq := hexFreq - min(hexFreq, 0x41) + 1
	hfAmp := min(uint16(hexAmp)*2, 0x1fc)
	lfAmp := min(hexAmp/2+64, 0x7f)
	// The reference adds lfAmp shifted right by 8 to the low frequency, but
	// a u8 shift by 8 wraps to a shift by 0 there: lfAmp itself is added,
	// saturating.
	return [4]byte{
		byte(hfFreq),
		byte(hfAmp + hfFreq>>8),
		byte(min(uint16(lfFreq)+uint16(lfAmp), 0xff)),
		lfAmp,
	}
}

// joyconRumbleReport is the report for a vibrate value (0-1000).
func joyconRumbleReport(v int32) []byte {
	amp := float32(v) / 1000
	rumble := joyconRumble(0, 0)
	if amp > 0.001 {
		rumble = joyconRumble(joyconRumbleFreq, amp)
	}
	return joyconReport(joyconReportRumble, 1, rumble, 0)
}

func joyconInit(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	enable := joyconReport(joyconReportSubcmd, 0, [4]byte{}, joyconSubcmdVibrate, 0x01)
	if err := link.Write(ctx, comm.EndpointTx, enable, false); err != nil {
		return nil, fmt.Errorf("nintendo-joycon: enable vibration: %w", err)
	}
	r := newRepeater(link, joyconRumbleInterval, false)
	r.set(joyconRumbleReport(0))
	return &joycon{r: r}, nil
}

// joycon hands the rumble to the repeater, which sends it.
type joycon struct{ r *repeater }

func (h *joycon) Output(o Output) ([]Command, error) {
	if o.Type != protocol.OutputVibrate {
		return nil, Unsupported(o)
	}
	h.r.set(joyconRumbleReport(o.Value))
	return nil, nil
}

// Close stops the rumble reports.
func (h *joycon) Close() { h.r.Close() }
