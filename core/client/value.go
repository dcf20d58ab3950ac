package client

import (
	"fmt"
	"math"
	"time"

	"github.com/bphost/bphost/core/protocol"
)

// Value is an output setting: a fraction of the feature's range or a raw
// step count. Negative values drive a signed output (a rotation direction,
// cooling) the other way. The zero Value is Fraction(0): off.
type Value struct {
	f       float64
	n       int32
	isSteps bool
}

// Fraction returns a value p of the feature's range: 0 is off, 1 the
// maximum; -1..0 the negative half of a signed range. It is converted to
// steps by [protocol.Steps]: a plain ceil, as the reference clients and
// server do, so any non-zero request (from 1e-6) gives at least one step
// and 0.28 of 25 steps gives 8 (0.28*25 is 7.000000000000001 in float64).
func Fraction(p float64) Value { return Value{f: p} }

// Steps returns a raw step value, used as is; it must lie inside the
// feature's range (0, off, is always accepted).
func Steps(n int32) Value { return Value{n: n, isSteps: true} }

// IsSteps reports whether v was made with Steps.
func (v Value) IsSteps() bool { return v.isSteps }

// String prints the value as "0.5" or "10 steps".
func (v Value) String() string {
	if v.isSteps {
		return fmt.Sprintf("%d steps", v.n)
	}
	return fmt.Sprintf("%g", v.f)
}

// negate returns the value for the other direction.
func (v Value) negate() Value {
	if v.isSteps {
		return Value{n: -v.n, isSteps: true}
	}
	return Value{f: -v.f}
}

func (v Value) negative() bool {
	if v.isSteps {
		return v.n < 0
	}
	return v.f < 0
}

// toSteps converts v to a step value inside r (v4 outputs); fractions go
// through protocol.Steps, the conversion the server also applies to the
// fractions of spec v3 clients, so both paths give a device the same steps.
func (v Value) toSteps(r protocol.Range) (int32, error) {
	if v.isSteps {
		if v.n == 0 || r.Contains(v.n) {
			return v.n, nil
		}
		return 0, fmt.Errorf("%w: %d steps, range is [%d, %d]", ErrOutOfRange, v.n, r.Min(), r.Max())
	}
	return protocol.Steps(v.f, r)
}

// toScalar converts v to the [0, 1] float of spec v3 commands for an
// actuator with steps steps; signed actuators (RotateCmd) accept [-1, 1]
// and return the magnitude and the sign separately.
func (v Value) toScalar(steps uint32, signed bool) (scalar float64, negative bool, err error) {
	limit := float64(steps)
	lo := 0.0
	if signed {
		lo = -limit
	}
	if v.isSteps {
		if steps == 0 {
			return 0, false, fmt.Errorf("%w: the server gave no step count; use a Fraction", ErrOutOfRange)
		}
		n := float64(v.n)
		if n < lo || n > limit {
			return 0, false, fmt.Errorf("%w: %d steps, range is [%g, %g]", ErrOutOfRange, v.n, lo, limit)
		}
		return math.Abs(n) / limit, n < 0, nil
	}
	p := v.f
	minP := 0.0
	if signed {
		minP = -1
	}
	if math.IsNaN(p) || p < minP || p > 1 {
		return 0, false, fmt.Errorf("%w: %g, want a fraction in [%g, 1]", ErrOutOfRange, p, minP)
	}
	if math.Abs(p) < protocol.ZeroFraction {
		return 0, false, nil
	}
	return math.Abs(p), p < 0, nil
}

// durationMillis converts d to the milliseconds of the wire, checked
// against r when the server gave a range.
func durationMillis(d time.Duration, r *protocol.Range) (uint32, error) {
	if d < 0 || d.Milliseconds() > math.MaxUint32 {
		return 0, fmt.Errorf("%w: duration %v", ErrOutOfRange, d)
	}
	ms := d.Milliseconds()
	if r != nil && (ms < int64(r.Min()) || ms > int64(r.Max())) {
		return 0, fmt.Errorf("%w: duration %dms, range is [%d, %d]ms", ErrOutOfRange, ms, r.Min(), r.Max())
	}
	return uint32(ms), nil
}
