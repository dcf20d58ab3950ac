package protocols

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// Byte-level tests of the protocols of the first half of the protocols the
// configuration had without implementation. Expected bytes come from the
// reference implementation (buttplug-rs, crates/buttplug_server/src/device/
// protocol_impl/<name>.rs, named "reference" below) unless said otherwise.

const (
	b1Vibrate = protocol.OutputVibrate
	b1Rotate  = protocol.OutputRotate
	b1Osc     = protocol.OutputOscillate
	b1Pos     = protocol.OutputHwPositionWithDuration
)

func b1Out(typ protocol.OutputType, feature uint32, value int32) Output {
	return Output{Type: typ, Feature: feature, Value: value}
}

func b1Move(feature uint32, value int32, ms uint32) Output {
	return Output{Type: b1Pos, Feature: feature, Value: value, Duration: ms}
}

const (
	b1Tx     = comm.EndpointTx
	b1TxMode = comm.EndpointTxMode
)

// Protocols without a handshake: name in, model out, bytes per command.
func TestBatch1SimpleProtocols(t *testing.T) {
	cases := []struct {
		proto, name, model string
		init               []b1Op
		steps              []b1Step
	}{
		// Reference: htk_bm.rs (11 both, 12 left, 13 right, 15 off).
		{"htk_bm", "HTK-BLE-BM001", "HTK Breast Massager", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 1), []b1Op{b1Write(b1Tx, false, 12)}},
			{b1Out(b1Vibrate, 1, 1), []b1Op{b1Write(b1Tx, false, 11)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 13)}},
			{b1Out(b1Vibrate, 1, 0), []b1Op{b1Write(b1Tx, false, 15)}},
		}},
		// Reference: kizuna.rs ('0' + speed, CR, LF).
		{"kizuna", "Kizuna", "Kizuna Smart", nil, []b1Step{
			{b1Out(b1Rotate, 0, 5), []b1Op{b1Write(b1Tx, false, '5', '\r', '\n')}},
			{b1Out(b1Rotate, 0, 9), []b1Op{b1Write(b1Tx, false, '9', '\r', '\n')}},
			{b1Out(b1Rotate, 0, 0), []b1Op{b1Write(b1Tx, false, '0', '\r', '\n')}},
		}},
		// Reference: libo_elle.rs (feature 0 on txmode).
		{"libo-elle", "PiPiJing", "LiBo Elle", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 2), []b1Op{b1Write(b1TxMode, false, 2)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1TxMode, false, 0)}},
		}},
		// Reference: libo_shark.rs (first << 4 | second).
		{"libo-shark", "ShaYu", "Libo Shark", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 3), []b1Op{b1Write(b1Tx, false, 0x30)}},
			{b1Out(b1Vibrate, 1, 2), []b1Op{b1Write(b1Tx, false, 0x32)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0x02)}},
			{b1Out(b1Vibrate, 1, 0), []b1Op{b1Write(b1Tx, false, 0x00)}},
		}},
		// Reference: libo_vibes.rs; a single-motor toy also gets txmode 0
		// on stop.
		{"libo-vibes", "XiaoLu", "Libo Lottie", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 50), []b1Op{b1Write(b1Tx, false, 50)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0), b1Write(b1TxMode, false, 0)}},
		}},
		// The second motor of a two-motor LiBo is on txmode; stopping the
		// first leaves it alone.
		{"libo-vibes", "BaiHu", "Libo LaLa", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 100), []b1Op{b1Write(b1Tx, false, 100)}},
			{b1Out(b1Vibrate, 1, 3), []b1Op{b1Write(b1TxMode, false, 3)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0)}},
			{b1Out(b1Vibrate, 1, 0), []b1Op{b1Write(b1TxMode, false, 0)}},
		}},
		// Reference: lovenuts.rs ("EVOL", speed in both nibbles x10, 00 ff).
		{"lovenuts", "Love_Nuts", "Love Nut", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 15), []b1Op{b1Write(b1Tx, false, 0x45, 0x56, 0x4f, 0x4c,
				0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff)}},
			{b1Out(b1Vibrate, 0, 7), []b1Op{b1Write(b1Tx, false, 0x45, 0x56, 0x4f, 0x4c,
				0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x00, 0xff)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0x45, 0x56, 0x4f, 0x4c,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xff)}},
		}},
		// Reference: lovedistance.rs (init f3 00 00, f4 01; f3 00 speed).
		{"lovedistance", "REACH G", "Love Distance Reach G",
			[]b1Op{b1Write(b1Tx, false, 0xf3, 0x00, 0x00), b1Write(b1Tx, false, 0xf4, 0x01)},
			[]b1Step{
				{b1Out(b1Vibrate, 0, 121), []b1Op{b1Write(b1Tx, false, 0xf3, 0x00, 121)}},
				{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0xf3, 0x00, 0x00)}},
			}},
		// Reference: lioness.rs (subscribe, 01 aa aa bb cc 10 with
		// response; 02 aa bb cc cc speed).
		{"lioness", "Lioness", "Lioness",
			[]b1Op{b1Sub(comm.EndpointRx), b1Write(b1Tx, true, 0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10)},
			[]b1Step{
				{b1Out(b1Vibrate, 0, 100), []b1Op{b1Write(b1Tx, false, 0x02, 0xaa, 0xbb, 0xcc, 0xcc, 100)}},
				{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0)}},
			}},
		// Reference: kiiroo_v2_vibrator.rs (three speeds, always).
		{"kiiroo-v2-vibrator", "Fuse", "OhMiBod Fuse", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 10), []b1Op{b1Write(b1Tx, false, 10, 0, 0)}},
			{b1Out(b1Vibrate, 1, 100), []b1Op{b1Write(b1Tx, false, 10, 100, 0)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0, 100, 0)}},
		}},
		// Reference: kiiroo_v2.rs (firmware 00 with response; position,
		// speed) and fleshlight_launch_helper.rs (speed curve; Rust's
		// saturating float-to-u8 cast gives 255 for an instant move).
		{"kiiroo-v2", "Launch", "Fleshlight Launch",
			[]b1Op{b1Write(comm.EndpointFirmware, true, 0x00)},
			[]b1Step{
				{b1Move(0, 99, 500), []b1Op{b1Write(b1Tx, false, 99, 40)}},
				{b1Move(0, 0, 200), []b1Op{b1Write(b1Tx, false, 0, 106)}},
				{b1Move(0, 50, 1000), []b1Op{b1Write(b1Tx, false, 50, 9)}},
				{b1Move(0, 50, 100), []b1Op{b1Write(b1Tx, false, 50, 0)}},
				{b1Move(0, 0, 0), []b1Op{b1Write(b1Tx, false, 0, 255)}},
			}},
		// Reference: kiiroo_v21.rs (01 speed; 03 00 speed position).
		{"kiiroo-v21", "Titan1.1", "Kiiroo Titan 1.1", nil, []b1Step{
			{b1Out(b1Vibrate, 0, 50), []b1Op{b1Write(b1Tx, false, 0x01, 50)}},
			{b1Move(1, 99, 500), []b1Op{b1Write(b1Tx, false, 0x03, 0x00, 40, 99)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0x01, 0)}},
			{b1Move(1, 0, 200), []b1Op{b1Write(b1Tx, false, 0x03, 0x00, 106, 0)}},
		}},
		// Reference: kiiroo_v21_initialized.rs (03 00 64 19, 03 00 64 00
		// with response first).
		{"kiiroo-v21-initialized", "KEON", "Kiiroo Keon",
			[]b1Op{b1Write(b1Tx, true, 0x03, 0x00, 0x64, 0x19), b1Write(b1Tx, true, 0x03, 0x00, 0x64, 0x00)},
			[]b1Step{
				{b1Move(0, 99, 500), []b1Op{b1Write(b1Tx, false, 0x03, 0x00, 40, 99)}},
				{b1Move(0, 49, 1000), []b1Op{b1Write(b1Tx, false, 0x03, 0x00, 9, 49)}},
			}},
		// Reference: kiiroo_v3.rs (the kiiroo-v21 handler).
		{"kiiroo-v3", "KEON WIFI", "Kiiroo Keon", nil, []b1Step{
			{b1Move(0, 99, 500), []b1Op{b1Write(b1Tx, false, 0x03, 0x00, 40, 99)}},
		}},
		// buttplug-csharp Buttplug/Devices/Protocols/KiirooGen1Protocol.cs
		// (the Rust reference has none): subscribe rx, command 01 00 and
		// b1Tx "0," with response; the Pearl's level as "<n>,\n".
		{"kiiroo-v1", "PEARL", "Kiiroo Pearl",
			[]b1Op{b1Sub(comm.EndpointRx), b1Write(comm.EndpointCommand, true, 0x01, 0x00), b1Write(b1Tx, true, '0', ',')},
			[]b1Step{
				{b1Out(b1Vibrate, 0, 2), []b1Op{b1Write(b1Tx, false, '2', ',', '\n')}},
				{b1Out(b1Vibrate, 0, 4), []b1Op{b1Write(b1Tx, false, '4', ',', '\n')}},
				{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, '0', ',', '\n')}},
			}},
	}
	for _, c := range cases {
		t.Run(c.proto+"/"+c.name, func(t *testing.T) {
			h := b1Connect(t, c.proto, newB1Link(c.name), c.model, c.init)
			b1Run(t, h, c.steps)
			// Outputs the model does not have are refused, not guessed.
			if _, err := h.Output(b1Out(protocol.OutputSpray, 0, 1)); !errors.Is(err, ErrUnsupported) {
				t.Errorf("spray: %v, want ErrUnsupported", err)
			}
		})
	}
}

// The stop of a single-motor LiBo resets txmode in a command of its own
// feature set, so that a newer speed coalescing with it cannot drop it.
func TestBatch1LiboVibesStopSurvivesCoalescing(t *testing.T) {
	h := b1Connect(t, "libo-vibes", newB1Link("XiaoLu"), "Libo Lottie", nil)
	cmds, err := h.Output(b1Out(b1Vibrate, 0, 0))
	if err != nil || len(cmds) != 2 {
		t.Fatalf("stop: %v, %v", cmds, err)
	}
	next, _ := h.Output(b1Out(b1Vibrate, 0, 30))
	if cmds[1].Overlaps(next[0]) || !cmds[0].Overlaps(next[0]) {
		t.Errorf("txmode reset %v coalesces with the next speed %v", cmds[1], next[0])
	}
}

func TestBatch1KiirooV21Battery(t *testing.T) {
	// Reference: kiiroo_v21.rs, byte 5 of a 20-byte whitelist read.
	link := newB1Link("Pearl2.1")
	reading := make([]byte, 20)
	reading[5] = 73
	link.reads = map[comm.Endpoint][]byte{comm.EndpointWhitelist: reading}
	h := b1Connect(t, "kiiroo-v21", link, "Kiiroo Pearl 2.1", nil)
	r, ok := h.(InputReader)
	if !ok {
		t.Fatal("no battery reader")
	}
	ctx := context.Background()
	if v, err := r.ReadInput(ctx, link, 1, protocol.InputBattery); err != nil || v != 73 {
		t.Errorf("battery %d, %v; want 73", v, err)
	}
	link.reads[comm.EndpointWhitelist] = []byte{1, 2, 3}
	if _, err := r.ReadInput(ctx, link, 1, protocol.InputBattery); !errors.Is(err, ErrBadReply) {
		t.Errorf("short reading: %v, want ErrBadReply", err)
	}
	// The Keon Wifi (kiiroo-v3) has no whitelist endpoint to read.
	link.missing = map[comm.Endpoint]bool{comm.EndpointWhitelist: true}
	if _, err := r.ReadInput(ctx, link, 1, protocol.InputBattery); !errors.Is(err, ErrUnsupported) {
		t.Errorf("without whitelist: %v, want ErrUnsupported", err)
	}
}

func TestBatch1LaunchSpeed(t *testing.T) {
	// fleshlight_launch_helper.rs: 250 * (duration*90 / (distance*100))^-1.05,
	// times 99, truncated; no move and NaN give 0, overflow 255.
	cases := []struct {
		distance float64
		duration uint32
		want     byte
	}{{1, 500, 40}, {1, 200, 106}, {50.0 / 99, 1000, 9}, {0, 100, 0}, {0, 0, 0}, {0.5, 0, 255}, {2, 500, 40}, {-1, 500, 0}, {1, 20, 255}}
	for _, c := range cases {
		if got := launchSpeed(c.distance, c.duration); got != c.want {
			t.Errorf("launchSpeed(%v, %d) = %d, want %d", c.distance, c.duration, got, c.want)
		}
	}
}

func TestBatch1Fredorch(t *testing.T) {
	// Initialisation and CRCs from the reference's fredorch.rs and its
	// vector test_fredorch_protocol.yaml (device_init).
	wantInit := []b1Op{
		b1Sub(comm.EndpointRx),
		b1Write(b1Tx, false, 0x01, 0x06, 0x00, 0x64, 0x00, 0x01, 0x09, 0xd5),
		b1Write(b1Tx, false, 0x01, 0x06, 0x00, 0x69, 0x00, 0x00, 0x59, 0xd6),
		b1Write(b1Tx, false, 0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0xc3),
		b1Write(b1Tx, false, 0x01, 0x06, 0x00, 0x69, 0x00, 0x01, 0x98, 0x16),
		b1Write(b1Tx, false, 0x01, 0x06, 0x00, 0x6a, 0x00, 0x01, 0x68, 0x16),
	}
	link := newB1Link("YXlinksSPP")
	link.onSubscribe = func(comm.Endpoint) []comm.Notification {
		return []comm.Notification{{Endpoint: comm.EndpointRx, Data: []byte{0x00, 0x01, 0x00, 0x01, 0x01}}}
	}
	link.onWrite = b1Echo
	h := b1Connect(t, "fredorch", link, "Fredorch Device", wantInit)
	// Speeds from the reference's SPEED_MATRIX: the first (slowest) speed
	// whose time for the distance is under the duration; positions x10;
	// CRC-16/MODBUS low byte first.
	move := func(speed, pos, crcLo, crcHi byte) []b1Op {
		return []b1Op{b1Write(b1Tx, false, 0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, speed, 0x00, speed, 0x00, pos, 0x00, pos, 0x00, 0x01, crcLo, crcHi)}
	}
	b1Run(t, h, []b1Step{
		{b1Move(0, 15, 1000), move(9, 150, 0xf1, 0xf2)}, // 15 positions: 878 ms < 1000 at speed 9
		{b1Move(0, 8, 200), move(12, 80, 0xf3, 0x8e)},   // 7 positions: 170 ms at speed 12
		{b1Move(0, 8, 500), move(0, 80, 0x6a, 0x8e)},    // no move
		{b1Move(0, 0, 50), move(20, 0, 0x01, 0x92)},     // too fast for any: 20
	})
	// The CRC of a stroke from the reference vector (device_commands).
	if got := fredorchMove(7, 0x4b); got[17] != 0x2e || got[18] != 0x7b {
		t.Errorf("CRC % x, want 2e 7b", got[17:])
	}
}

func TestBatch1FredorchNeedsAnswers(t *testing.T) {
	// Reference: fredorch.rs gives up when a step is not answered in 500 ms.
	link := newB1Link("YXlinksSPP")
	f, _ := Lookup("fredorch")
	start := time.Now()
	_, err := f().Init(context.Background(), link, nil)
	if err == nil {
		t.Fatal("initialised without answers")
	}
	if d := time.Since(start); d < 2*fredorchReplyWait {
		t.Errorf("gave up after %v", d)
	}
	if ops := link.Ops(); len(ops) != 2 {
		t.Errorf("kept going after an unanswered step: %v", ops)
	}
}

func TestBatch1FredorchSpeedTable(t *testing.T) {
	cases := []struct {
		distance int32
		duration uint32
		want     byte
	}{{0, 100, 0}, {1, 1001, 1}, {1, 1000, 2}, {1, 24, 19}, {1, 23, 20}, {20, 8049, 1}, {15, 211, 19}, {15, 210, 20}}
	for _, c := range cases {
		if got := fredorchSpeed(c.distance, c.duration); got != c.want {
			t.Errorf("fredorchSpeed(%d, %d) = %d, want %d", c.distance, c.duration, got, c.want)
		}
	}
}

func TestBatch1FredorchRotary(t *testing.T) {
	// Reference: fredorch_rotary.rs. Handshake, password, power up, stop;
	// then the speed is stepped one at a time (01 up, 02 down) and 24
	// stops at once.
	link := newB1Link("M1_SIM")
	h := b1Connect(t, "fredorch-rotary", link, "Fredorch Rotary Device", []b1Op{
		b1Sub(comm.EndpointRx),
		b1Write(b1Tx, false, 0x55, 0x03, 0x99, 0x9c, 0xaa),
		b1Write(b1Tx, false, 0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa),
		b1Write(b1Tx, false, 0x55, 0x03, 0x1f, 0x22, 0xaa),
		b1Write(b1Tx, false, 0x55, 0x03, 0x24, 0x27, 0xaa),
	})
	up := b1Write(b1Tx, false, 0x55, 0x03, 0x01, 0x04, 0xaa)
	down := b1Write(b1Tx, false, 0x55, 0x03, 0x02, 0x05, 0xaa)
	b1Run(t, h, []b1Step{{b1Out(b1Osc, 0, 3), nil}})
	ops := link.waitOps(t, 8, 5*time.Second)
	b1SameOps(t, "speed 3", ops[5:], []b1Op{up, up, up})
	b1Run(t, h, []b1Step{{b1Out(b1Osc, 0, 1), nil}})
	ops = link.waitOps(t, 10, 5*time.Second)
	b1SameOps(t, "speed 1", ops[8:], []b1Op{down, down})
	b1Run(t, h, []b1Step{{b1Out(b1Osc, 0, 0), []b1Op{b1Write(b1Tx, false, 0x55, 0x03, 0x24, 0x27, 0xaa)}}})
	time.Sleep(150 * time.Millisecond)
	if n := len(link.Ops()); n != 10 {
		t.Errorf("stepped after stop: %v", link.Ops()[10:])
	}
}

// The reference vector test_honeyplaybox_protocol.yaml (JXT002): handshake
// with counter 0, the toy's answer with key 01..10, then signed motor
// frames with counters 2, 3 and 4.
var (
	b1HPBHandshake = []byte{0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x02, 0x00, 0x10, 0x03, 0x36, 0x86}
	b1HPBAnswer    = []byte{0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x12, 0x90, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x03, 0xF4, 0x26}
	b1HPBHalf      = []byte{0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x02, 0xB1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x32, 0x11, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x3C, 0xAB, 0x13, 0x93, 0x4E, 0x4C, 0xB8, 0x57, 0x03, 0x32, 0x91}
	b1HPBStop3     = []byte{0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x03, 0xB1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0xF8, 0x2D, 0xC3, 0x5B, 0xD6, 0x08, 0x32, 0xE4, 0x03, 0xD6, 0x75}
	b1HPBStop4     = []byte{0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x04, 0xB1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x3C, 0x00, 0x00, 0x00, 0xF8, 0x2D, 0xC3, 0x5B, 0xD6, 0x08, 0x32, 0xE4, 0x03, 0xD6, 0x75}
	// Second motor at 100, counter 5: the same layout, MD5 and CRC
	// computed independently from the reference's honeyplaybox.rs.
	b1HPBSecond = []byte{0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x05, 0xb1, 0x03, 0x00, 0x18, 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x11, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, 0x64, 0x45, 0x7f, 0xaa, 0xdc, 0x9a, 0x8a, 0x4e, 0xd6, 0x03, 0xb6, 0xfc}
)

// b1HPBAnswerSplit answers the handshake in two notifications with noise
// before the frame, as over a small MTU.
func b1HPBAnswerSplit(ep comm.Endpoint, data []byte) []comm.Notification {
	if ep != b1Tx || data[8] != hpbCmdHandshake {
		return nil
	}
	first := append([]byte{0xee, 0x02}, b1HPBAnswer[:20]...)
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: first}, {Endpoint: comm.EndpointRx, Data: b1HPBAnswer[20:]}}
}

func TestBatch1HoneyPlayBox(t *testing.T) {
	link := newB1Link("JXT002")
	link.onWrite = b1HPBAnswerSplit
	h := b1Connect(t, "honeyplaybox", link, "Honey Play Box Vibrosa",
		[]b1Op{b1Sub(comm.EndpointRx), b1Write(b1Tx, true, b1HPBHandshake...)})
	b1Run(t, h, []b1Step{
		{b1Out(b1Vibrate, 0, 50), []b1Op{b1Write(b1Tx, true, b1HPBHalf...)}},
		{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, true, b1HPBStop3...)}},
		{b1Out(b1Vibrate, 1, 0), []b1Op{b1Write(b1Tx, true, b1HPBStop4...)}},
		{b1Out(b1Vibrate, 1, 100), []b1Op{b1Write(b1Tx, true, b1HPBSecond...)}},
	})
	// Each motor's stop is a frame of its own: the two must not coalesce.
	a, _ := h.Output(b1Out(b1Vibrate, 0, 0))
	b, _ := h.Output(b1Out(b1Vibrate, 1, 0))
	if a[0].Overlaps(b[0]) {
		t.Error("the stops of the two motors coalesce")
	}
	// Half a second without commands, the state goes out again with the
	// next counter value.
	before := len(link.Ops())
	ops := link.waitOps(t, before+1, 3*time.Second)
	last := ops[before]
	if last.Kind != "write" || last.Endpoint != b1Tx || !last.WithResponse || len(last.Data) != len(b1HPBStop4) {
		t.Fatalf("keepalive %v", last)
	}
	if last.Data[6] != 0x08 || string(last.Data[7:]) != string(b1HPBStop4[7:]) {
		t.Errorf("keepalive % x, want counter 08 and the stop state % x", last.Data, b1HPBStop4[7:])
	}
}

func TestBatch1HoneyPlayBoxRotateAndOscillate(t *testing.T) {
	// Joi Thrust 2: rotation (by its magnitude) on motor 0, thrusting on
	// motor 1, in one frame.
	link := newB1Link("HPB-376-1")
	link.onWrite = b1HPBAnswerSplit
	h := b1Connect(t, "honeyplaybox", link, "Honey Play Box Joi Thrust 2",
		[]b1Op{b1Sub(comm.EndpointRx), b1Write(b1Tx, true, b1HPBHandshake...)})
	cmds, err := h.Output(b1Out(b1Osc, 1, 100))
	if err != nil {
		t.Fatal(err)
	}
	// Counter 2 (after the handshake's 0 and 1), strengths 0 and 100.
	want := append([]byte{0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0, 0x02}, b1HPBSecond[7:]...)
	b1SameOps(t, "oscillate", b1Commands(cmds), []b1Op{b1Write(b1Tx, true, want...)})
	cmds, err = h.Output(b1Out(b1Rotate, 0, -50))
	if err != nil || cmds[0].Data[18] != 50 || cmds[0].Data[26] != 100 {
		t.Errorf("rotate -50: % x, %v", b1Commands(cmds), err)
	}
}

func TestBatch1HoneyPlayBoxRefused(t *testing.T) {
	link := newB1Link("JXT002")
	link.onWrite = func(ep comm.Endpoint, data []byte) []comm.Notification {
		return []comm.Notification{{Endpoint: comm.EndpointRx, Data: hpbFrame(0, hpbCmdHandshake, []byte{0x6a, 0x80})}}
	}
	f, _ := Lookup("honeyplaybox")
	if _, err := f().Init(context.Background(), link, nil); err == nil {
		t.Fatal("refused handshake accepted")
	}
}

func TestBatch1HoneyPlayBoxFrames(t *testing.T) {
	var c hpbFrames
	// Garbage, a header with an absurd length, a frame with a bad CRC,
	// then a good one, fed in pieces.
	bad := append([]byte(nil), b1HPBAnswer...)
	bad[len(bad)-1] ^= 0xff
	huge := append(append([]byte(nil), hpbHeader...), 0x00, 0xb1, 0x01, 0xff, 0xff)
	stream := append(append(append([]byte{0x02, 0xa5, 0x00}, huge...), bad...), b1HPBAnswer...)
	var got [][]byte
	for len(stream) > 0 {
		n := min(7, len(stream))
		got = append(got, c.push(stream[:n])...)
		stream = stream[n:]
	}
	if len(got) != 1 || len(got[0]) != 18 || got[0][0] != 0x90 || got[0][17] != 0x10 {
		t.Fatalf("frames % x", got)
	}
	// Nothing panics on truncated or hostile input.
	for i := range b1HPBAnswer {
		var c hpbFrames
		c.push(b1HPBAnswer[:i])
		c.push([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
}

func TestBatch1Cueme(t *testing.T) {
	// buttplug-csharp Buttplug/Devices/Protocols/CuemeProtocol.cs (the Rust
	// reference has none): model from FUNCODE_<x>_<model>; one byte,
	// (motor+1)<<4 | speed; 0 when all are off.
	link := newB1Link("FUNCODE_AB_3")
	h := b1Connect(t, "cueme", link, "Cueme Womans", nil)
	b1Run(t, h, []b1Step{
		{b1Out(b1Vibrate, 0, 5), []b1Op{b1Write(b1Tx, false, 0x15)}},
		{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0x00)}},
		{b1Out(b1Vibrate, 3, 15), []b1Op{b1Write(b1Tx, false, 0x4f)}},
		{b1Out(b1Vibrate, 3, 0), []b1Op{b1Write(b1Tx, false, 0x00)}},
		{b1Out(b1Vibrate, 1, 7), []b1Op{b1Write(b1Tx, false, 0x27)}},
	})
	// With two motors on, the toy is switched between them every half
	// second.
	b1Run(t, h, []b1Step{{b1Out(b1Vibrate, 2, 15), []b1Op{b1Write(b1Tx, false, 0x27)}}})
	ops := link.waitOps(t, 2, 3*time.Second)
	b1SameOps(t, "switches", ops, []b1Op{b1Write(b1Tx, false, 0x3f), b1Write(b1Tx, false, 0x27)})
	// One motor left: no more switching.
	b1Run(t, h, []b1Step{{b1Out(b1Vibrate, 1, 0), []b1Op{b1Write(b1Tx, false, 0x3f)}}})
	n := len(link.Ops())
	time.Sleep(2 * cuemeSwitch)
	if ops := link.Ops(); len(ops) != n {
		t.Errorf("still switching with one motor: %v", ops[n:])
	}
	for name, model := range map[string]string{"FUNCODE_X_1": "1", "FUNCODE_X": "", "FUNCODE_a_b_c": "", "": ""} {
		if got := cuemeModel(name); got != model {
			t.Errorf("cuemeModel(%q) = %q, want %q", name, got, model)
		}
	}
}

// A switch between motors that fails (timed out on a busy link) does not
// end the switching: only a disconnect does.
func TestBatch1CuemeWriteFails(t *testing.T) {
	link := newB1Link("FUNCODE_AB_3")
	var failed atomic.Int32
	link.failWrite = func(ep comm.Endpoint, data []byte) error {
		if ep == b1Tx && data[0] == 0x3f && failed.Add(1) == 1 {
			return fmt.Errorf("write tx: %w", context.DeadlineExceeded)
		}
		return nil
	}
	h := b1Connect(t, "cueme", link, "Cueme Womans", nil)
	b1Run(t, h, []b1Step{
		{b1Out(b1Vibrate, 1, 7), []b1Op{b1Write(b1Tx, false, 0x27)}},
		{b1Out(b1Vibrate, 2, 15), []b1Op{b1Write(b1Tx, false, 0x27)}},
	})
	// The first switch (to 0x3f) fails; the next ones still come.
	ops := link.waitOps(t, 3, 10*time.Second)
	b1SameOps(t, "switches", ops, []b1Op{b1Write(b1Tx, false, 0x3f), b1Write(b1Tx, false, 0x27), b1Write(b1Tx, false, 0x3f)})
}

func TestBatch1KiirooOnyx(t *testing.T) {
	// buttplug-csharp KiirooGen1Protocol.cs: the Onyx's position counts
	// from the other end and is reached in steps over the duration.
	link := newB1Link("ONYX")
	init := []b1Op{b1Sub(comm.EndpointRx), b1Write(comm.EndpointCommand, true, 0x01, 0x00), b1Write(b1Tx, true, '0', ',')}
	h := b1Connect(t, "kiiroo-v1", link, "Kiiroo Onyx", init)
	b1Run(t, h, []b1Step{{b1Move(0, 0, 0), nil}})
	ops := link.waitOps(t, 4, 3*time.Second)
	b1SameOps(t, "jump", ops[3:], []b1Op{b1Write(b1Tx, false, '4', ',', '\n')})
	start := time.Now()
	b1Run(t, h, []b1Step{{b1Move(0, 4, 300), nil}})
	// From 4 down to 0, in order; positions may be skipped on a slow
	// machine, the end may not.
	var seen []byte
	deadline := time.Now().Add(3 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] != '0' {
		if time.Now().After(deadline) {
			t.Fatalf("positions %q", seen)
		}
		ops = link.waitOps(t, 5+len(seen), 3*time.Second)
		seen = append(seen, ops[4+len(seen)].Data[0])
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("moved in %v, asked for 300 ms", d)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Errorf("positions %q do not go down", seen)
		}
	}
	// Idle, the position is repeated every half second.
	n := len(link.Ops())
	ops = link.waitOps(t, n+1, 3*time.Second)
	b1SameOps(t, "ping", ops[n:], []b1Op{b1Write(b1Tx, false, '0', ',', '\n')})
}

// A write of the Onyx's own loop that fails (timed out on a busy link) is
// retried, and later commands still move the toy: only a disconnect ends
// the loop.
func TestBatch1KiirooOnyxWriteFails(t *testing.T) {
	link := newB1Link("ONYX")
	var failed atomic.Int32
	link.failWrite = func(ep comm.Endpoint, data []byte) error {
		if ep == b1Tx && string(data) == "0,\n" && failed.Add(1) == 1 {
			return fmt.Errorf("write tx: %w", context.DeadlineExceeded)
		}
		return nil
	}
	init := []b1Op{b1Sub(comm.EndpointRx), b1Write(comm.EndpointCommand, true, 0x01, 0x00), b1Write(b1Tx, true, '0', ',')}
	h := b1Connect(t, "kiiroo-v1", link, "Kiiroo Onyx", init)
	// The first ping, half a second after the start, fails.
	ops := link.waitOps(t, 4, 5*time.Second)
	b1SameOps(t, "failed ping", ops[3:4], []b1Op{b1Write(b1Tx, false, '0', ',', '\n')})
	b1Run(t, h, []b1Step{{b1Move(0, 0, 0), nil}})
	deadline := time.Now().Add(5 * time.Second)
	for n := 4; ; n++ {
		ops = link.waitOps(t, n+1, time.Until(deadline))
		if string(ops[n].Data) == "4,\n" {
			break
		}
	}
}
