package client

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/bphost/bphost/core/protocol"
)

func TestValueToSteps(t *testing.T) {
	tests := []struct {
		v       Value
		r       protocol.Range
		want    int32
		wantErr bool
	}{
		{Fraction(0.5), rng(0, 20), 10, false},
		{Fraction(1), rng(0, 20), 20, false},
		{Fraction(0), rng(0, 20), 0, false},
		{Fraction(0.01), rng(0, 20), 1, false},      // never rounds a request to off
		{Fraction(0.000001), rng(0, 20), 1, false},  // at the threshold
		{Fraction(0.0000009), rng(0, 20), 0, false}, // below it
		{Fraction(0.3), rng(0, 10), 3, false},       // 0.3*10 is exactly 3 in float64
		{Fraction(0.28), rng(0, 25), 8, false},      // 0.28*25 is 7.000000000000001 in float64; the reference rounds it up
		{Fraction(0.7), rng(0, 20), 14, false},
		{Fraction(0.51), rng(0, 20), 11, false},
		{Fraction(0.91), rng(0, 100), 91, false},
		{Fraction(0.5), rng(5, 20), 13, false}, // ceil(5 + 15*0.5)
		{Fraction(0), rng(5, 20), 0, false},    // off below a raised minimum
		{Fraction(0.5), rng(-20, 20), 10, false},
		{Fraction(-0.5), rng(-20, 20), -10, false},
		{Fraction(-0.01), rng(-20, 20), -1, false},
		{Fraction(-1), rng(-5, 5), -5, false},
		{Fraction(1.0000001), rng(0, 20), 0, true},
		{Fraction(-0.1), rng(0, 20), 0, true},
		{Fraction(-1.5), rng(-20, 20), 0, true},
		{Fraction(math.NaN()), rng(0, 20), 0, true},
		{Fraction(math.Inf(1)), rng(0, 20), 0, true},
		{Steps(20), rng(0, 20), 20, false},
		{Steps(0), rng(5, 20), 0, false},
		{Steps(21), rng(0, 20), 0, true},
		{Steps(-1), rng(0, 20), 0, true},
		{Steps(-20), rng(-20, 20), -20, false},
		{Steps(4), rng(5, 20), 0, true},
	}
	for _, tt := range tests {
		got, err := tt.v.toSteps(tt.r)
		if tt.wantErr {
			if !errors.Is(err, ErrOutOfRange) {
				t.Errorf("%v over %v: got %d, %v; want ErrOutOfRange", tt.v, tt.r, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v over %v = %d, %v; want %d", tt.v, tt.r, got, err, tt.want)
		}
	}
}

func TestValueToScalar(t *testing.T) {
	tests := []struct {
		v       Value
		steps   uint32
		signed  bool
		want    float64
		neg     bool
		wantErr bool
	}{
		{Fraction(0.5), 20, false, 0.5, false, false},
		{Fraction(0.33), 20, false, 0.33, false, false}, // v3 servers round themselves
		{Fraction(1e-9), 20, false, 0, false, false},
		{Steps(5), 20, false, 0.25, false, false},
		{Steps(20), 20, false, 1, false, false},
		{Fraction(-0.5), 20, true, 0.5, true, false},
		{Steps(-10), 20, true, 0.5, true, false},
		{Fraction(1.5), 20, false, 0, false, true},
		{Fraction(-0.5), 20, false, 0, false, true},
		{Steps(21), 20, false, 0, false, true},
		{Steps(-21), 20, true, 0, false, true},
		{Fraction(math.NaN()), 20, true, 0, false, true},
		{Fraction(0.5), 0, false, 0.5, false, false}, // no StepCount given
		{Steps(0), 0, false, 0, false, true},
	}
	for _, tt := range tests {
		got, neg, err := tt.v.toScalar(tt.steps, tt.signed)
		if tt.wantErr {
			if !errors.Is(err, ErrOutOfRange) {
				t.Errorf("%v of %d steps: got %g, %v; want ErrOutOfRange", tt.v, tt.steps, got, err)
			}
			continue
		}
		if err != nil || got != tt.want || neg != tt.neg {
			t.Errorf("%v of %d steps = %g neg=%v %v; want %g neg=%v", tt.v, tt.steps, got, neg, err, tt.want, tt.neg)
		}
	}
}

func TestDurationMillis(t *testing.T) {
	r := rng(100, 5000)
	for _, tt := range []struct {
		d       time.Duration
		r       *protocol.Range
		want    uint32
		wantErr bool
	}{
		{500 * time.Millisecond, nil, 500, false},
		{500 * time.Millisecond, &r, 500, false},
		{50 * time.Millisecond, &r, 0, true},
		{6 * time.Second, &r, 0, true},
		{-time.Millisecond, nil, 0, true},
		{time.Duration(math.MaxInt64), nil, 0, true},
	} {
		got, err := durationMillis(tt.d, tt.r)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("durationMillis(%v, %v) = %d, %v", tt.d, tt.r, got, err)
		}
	}
}

func TestValueString(t *testing.T) {
	if s := Fraction(0.25).String(); s != "0.25" {
		t.Errorf("Fraction string %q", s)
	}
	if s := Steps(7).String(); s != "7 steps" || !Steps(7).IsSteps() || Fraction(1).IsSteps() {
		t.Errorf("Steps string %q", s)
	}
}
