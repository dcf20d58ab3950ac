package protocols

import "testing"

// Byte tables written during the audit against buttplug-rs 10.x (AUDIT.md)
// for protocols no other test covered. Expected bytes are worked out by
// hand from the reference file named in each case.
func TestAuditBytes(t *testing.T) {
	cases := []struct {
		proto, name, model string
		steps              []b1Step
	}{
		// serveu.rs: 01 <goal> <speed>, the speed from the distance per
		// second (ceil) on a piecewise scale; a zero duration gives fa.
		{"serveu", "ServeU", "ServeU", []b1Step{
			{b1Move(0, 50, 500), []b1Op{b1Write(b1Tx, false, 0x01, 50, 38)}},    // 100/s: ceil(50/4)+25
			{b1Move(0, 100, 100), []b1Op{b1Write(b1Tx, false, 0x01, 100, 138)}}, // 500/s: ceil(450/4)+25
			{b1Move(0, 10, 1000), []b1Op{b1Write(b1Tx, false, 0x01, 10, 35)}},   // 90/s: ceil(40/4)+25
			{b1Move(0, 10, 1000), []b1Op{b1Write(b1Tx, false, 0x01, 10, 0)}},    // no move
			{b1Move(0, 0, 1000), []b1Op{b1Write(b1Tx, false, 0x01, 0, 5)}},      // 10/s: ceil(10/2)
			{b1Move(0, 80, 50), []b1Op{b1Write(b1Tx, false, 0x01, 80, 234)}},    // 1600/s: ceil(850/25)+200
			{b1Move(0, 0, 40), []b1Op{b1Write(b1Tx, false, 0x01, 0, 0xfa)}},     // 2000/s: ceil(1250/25)+200
			{b1Move(0, 10, 0), []b1Op{b1Write(b1Tx, false, 0x01, 10, 0xfa)}},    // instant
		}},
		// synchro.rs: a1 01 <|speed|, bit 7 when negative> 77 55.
		{"synchro", "Shinkuro", "Synchro", []b1Step{
			{b1Out(b1Rotate, 0, 6), []b1Op{b1Write(b1Tx, false, 0xa1, 0x01, 0x06, 0x77, 0x55)}},
			{b1Out(b1Rotate, 0, -6), []b1Op{b1Write(b1Tx, false, 0xa1, 0x01, 0x86, 0x77, 0x55)}},
			{b1Out(b1Rotate, 0, 0), []b1Op{b1Write(b1Tx, false, 0xa1, 0x01, 0x00, 0x77, 0x55)}},
		}},
		// tryfun_meta2.rs: <packet id> 02 00 05 21 05 <code> <value> <sum>;
		// rotation s >= 0 is sent as -(s+1), s < 0 as -s.
		{"tryfun-meta2", "TF-META2", "TryFun Meta 2", []b1Step{
			{b1Out(b1Osc, 0, 50), []b1Op{b1Write(b1Tx, false, 0x00, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 50, 0x9d)}},
			{b1Out(b1Vibrate, 1, 100), []b1Op{b1Write(b1Tx, false, 0x01, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 100, 0x6e)}},
			{b1Out(b1Rotate, 2, 100), []b1Op{b1Write(b1Tx, false, 0x02, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x9b, 0x31)}},
			{b1Out(b1Rotate, 2, -50), []b1Op{b1Write(b1Tx, false, 0x03, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x32, 0x9a)}},
			{b1Out(b1Rotate, 2, 0), []b1Op{b1Write(b1Tx, false, 0x04, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xff, 0xcd)}},
		}},
		// xiuxiuda.rs: 00 00 00 00 65 3a 30 <speed> 64.
		{"xiuxiuda", "XXD-Lush1", "Xiuxiuda Device", []b1Step{
			{b1Out(b1Vibrate, 0, 19), []b1Op{b1Write(b1Tx, false, 0, 0, 0, 0, 0x65, 0x3a, 0x30, 19, 0x64)}},
			{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0, 0, 0, 0, 0x65, 0x3a, 0x30, 0, 0x64)}},
		}},
	}
	for _, c := range cases {
		t.Run(c.proto, func(t *testing.T) {
			h := b1Connect(t, c.proto, newB1Link(c.name), c.model, nil)
			b1Run(t, h, c.steps)
		})
	}
}
