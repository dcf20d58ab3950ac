package protocols

import (
	"math"
	"testing"
	"time"
)

// The Onyx's position is defined at every time: before the command (its
// goroutine may read the clock just before Output does), during, after,
// and for a jump (no duration), where start and end are the same instant.
func TestKiirooOnyxPositionAt(t *testing.T) {
	t0 := time.Now()
	for _, tt := range []struct {
		name       string
		start, end time.Time
		at         time.Time
		want       float64
	}{
		{"jump, clock read before it", t0, t0, t0.Add(-time.Millisecond), 1},
		{"jump, at it", t0, t0, t0, 3},
		{"move, before", t0, t0.Add(time.Second), t0.Add(-time.Millisecond), 1},
		{"move, halfway", t0, t0.Add(time.Second), t0.Add(500 * time.Millisecond), 2},
		{"move, after", t0, t0.Add(time.Second), t0.Add(2 * time.Second), 3},
	} {
		h := &kiirooOnyx{from: 1, to: 3, start: tt.start, end: tt.end}
		if got := h.at(tt.at); got != tt.want || math.IsNaN(got) {
			t.Errorf("%s: at = %v, want %v", tt.name, got, tt.want)
		}
	}
}
