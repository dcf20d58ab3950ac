package protocol

import (
	"errors"
	"math"
	"testing"
)

func TestSteps(t *testing.T) {
	tests := []struct {
		name    string
		f       float64
		r       Range
		want    int32
		wantErr bool
	}{
		{"zero", 0, Range{0, 20}, 0, false},
		{"negative zero", math.Copysign(0, -1), Range{0, 20}, 0, false},
		{"below the threshold", 9e-7, Range{0, 20}, 0, false},
		{"at the threshold", 1e-6, Range{0, 20}, 1, false},
		{"tiny", 0.01, Range{0, 20}, 1, false}, // never rounds a request to off
		{"half", 0.5, Range{0, 20}, 10, false},
		{"exact", 0.25, Range{0, 100}, 25, false},
		{"full", 1, Range{0, 20}, 20, false},
		{"rounds up", 0.51, Range{0, 20}, 11, false},
		{"one step", 0.25, Range{0, 3}, 1, false},
		// Float noise rounds up as in the reference: each product lies just
		// above the integer in float64.
		{"no noise 0.3 of 10", 0.3, Range{0, 10}, 3, false},  // exactly 3 in float64
		{"noise 0.28 of 25", 0.28, Range{0, 25}, 8, false},   // 7.000000000000001
		{"noise 0.07 of 100", 0.07, Range{0, 100}, 8, false}, // 7.000000000000001
		{"noise 0.14 of 50", 0.14, Range{0, 50}, 8, false},   // 7.000000000000001
		{"not noise 0.7 of 20", 0.7, Range{0, 20}, 14, false},
		{"raised minimum", 0.5, Range{5, 20}, 13, false}, // ceil(5 + 15*0.5)
		{"off below a raised minimum", 0, Range{5, 20}, 0, false},
		{"full of a raised minimum", 1, Range{5, 20}, 20, false},
		{"signed positive", 0.5, Range{-20, 20}, 10, false},
		{"signed negative", -0.5, Range{-20, 20}, -10, false},
		{"signed tiny negative", -0.01, Range{-20, 20}, -1, false},
		{"signed below the threshold", -9e-7, Range{-20, 20}, 0, false},
		{"signed full negative", -1, Range{-5, 5}, -5, false},
		{"signed asymmetric", -0.5, Range{-10, 20}, -5, false},
		{"signed noise", -0.28, Range{-25, 25}, -8, false},
		{"above one", 1.0000001, Range{0, 20}, 0, true},
		{"negative on unsigned", -0.1, Range{0, 20}, 0, true},
		{"below minus one", -1.5, Range{-20, 20}, 0, true},
		{"NaN", math.NaN(), Range{0, 20}, 0, true},
		{"signed NaN", math.NaN(), Range{-20, 20}, 0, true},
		{"infinity", math.Inf(1), Range{0, 20}, 0, true},
		{"minus infinity", math.Inf(-1), Range{-20, 20}, 0, true},
	}
	for _, tt := range tests {
		got, err := Steps(tt.f, tt.r)
		if tt.wantErr {
			if !errors.Is(err, ErrOutOfRange) {
				t.Errorf("%s: Steps(%g, %v) = %d, %v; want ErrOutOfRange", tt.name, tt.f, tt.r, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: Steps(%g, %v) = %d, %v; want %d", tt.name, tt.f, tt.r, got, err, tt.want)
		}
	}
}

// Steps is the reference formula, ceil(min + (max-min)*f), over a grid
// of fractions and step counts, and always inside the range.
func TestStepsGrid(t *testing.T) {
	for n := int32(1); n <= 100; n++ {
		for pc := 1; pc <= 99; pc++ {
			f := float64(pc) / 100
			got, err := Steps(f, Range{0, n})
			if want := int32(math.Ceil(float64(n) * f)); err != nil || got != want {
				t.Fatalf("Steps(%g, [0 %d]) = %d, %v; want %d", f, n, got, err, want)
			}
			if got < 1 || got > n {
				t.Fatalf("Steps(%g, [0 %d]) = %d, outside [1, %d]", f, n, got, n)
			}
			neg, err := Steps(-f, Range{-n, n})
			if err != nil || neg != -got {
				t.Fatalf("Steps(%g, [%d %d]) = %d, %v; want %d", -f, -n, n, neg, err, -got)
			}
		}
	}
}

func FuzzSteps(f *testing.F) {
	f.Add(0.3, int32(0), int32(10))
	f.Add(-0.5, int32(-20), int32(20))
	f.Add(1.0, int32(5), int32(20))
	f.Fuzz(func(t *testing.T, x float64, lo, hi int32) {
		if lo > hi || hi < 0 {
			return // not an output range: signed ones hold 0
		}
		n, err := Steps(x, Range{lo, hi})
		if err != nil {
			if !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("error %v does not wrap ErrOutOfRange", err)
			}
			return
		}
		if n != 0 && (n < lo || n > hi) {
			t.Fatalf("Steps(%g, [%d %d]) = %d, outside the range", x, lo, hi, n)
		}
	})
}
