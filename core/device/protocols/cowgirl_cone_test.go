package protocols

import (
	"context"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device/config"
)

// The Cowgirl Cone against cowgirl_cone.rs: aa 56 00 00 without response,
// three seconds of silence, then f1 01 <step> 00 per speed (0-128 used as
// is, no rescaling), 0 to stop. The reference's own vector
// (test_cowgirl_cone_protocol.yaml) expects 0x32 for 0.5 and is commented
// out of its test list: it predates the 0-128 range, and the Rust code
// sends step 64 (0x40) for 0.5.
func TestCowgirlConeBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the three-second start")
	}
	link := newB1Link("CG-CONE")
	start := time.Now()
	h := b1Connect(t, "cowgirl-cone", link, "The Cowgirl Cone", []b1Op{b1Write(b1Tx, false, 0xaa, 0x56, 0x00, 0x00)})
	if d := time.Since(start); d < 3*time.Second {
		t.Errorf("ready after %v, want 3 s", d)
	}
	b1Run(t, h, []b1Step{
		{b1Out(b1Vibrate, 0, 64), []b1Op{b1Write(b1Tx, false, 0xf1, 0x01, 0x40, 0x00)}},
		{b1Out(b1Vibrate, 0, 128), []b1Op{b1Write(b1Tx, false, 0xf1, 0x01, 0x80, 0x00)}},
		{b1Out(b1Vibrate, 0, 1), []b1Op{b1Write(b1Tx, false, 0xf1, 0x01, 0x01, 0x00)}},
		{b1Out(b1Vibrate, 0, 0), []b1Op{b1Write(b1Tx, false, 0xf1, 0x01, 0x00, 0x00)}},
	})
	if _, err := h.Output(b1Out(b1Rotate, 0, 1)); err == nil {
		t.Error("rotate encoded")
	}
	// Closing during the wait gives up instead of sleeping on.
	f, _ := Lookup("cowgirl-cone")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	db, _ := config.Default()
	def, _ := db.Resolve("cowgirl-cone", "CG-CONE", "X")
	if _, err := f().Init(ctx, newB1Link("CG-CONE"), def); err == nil {
		t.Error("initialised although the context ended during the wait")
	}
}
