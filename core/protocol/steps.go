package protocol

import (
	"fmt"
	"math"
)

// ZeroFraction is the magnitude below which a fraction means off. It is the
// reference server's threshold, so a request that rounds to nothing on
// the wire is not turned into one step.
const ZeroFraction = 1e-6

// Steps converts a fraction of an output's range into the step value sent
// to the device. It is the one conversion of the project: the client uses
// it for spec v4 outputs and the server for the fractions spec v0–v3
// clients send, so both give a device the same steps.
//
// For a range with a minimum of 0 or more, fraction lies in [0, 1] and the
// result is ceil(min + (max-min)*fraction), the formula of the reference
// clients and server, so any request above ZeroFraction gives at least one
// step. The rounding is a plain ceil on float64, noise included: 0.28 of 25
// steps is 7.000000000000001 and gives 8, as in the reference. For a signed range
// (minimum below 0, such as a rotation with its direction), fraction lies in
// [-1, 1]; a positive one is a fraction of [0, max], a negative one of
// [min, 0], rounded away from zero. A magnitude below ZeroFraction is 0
// (off), even below a raised minimum. A NaN or a fraction outside those
// bounds returns an error wrapping ErrOutOfRange.
func Steps(fraction float64, r Range) (int32, error) {
	lo, hi := r.Min(), r.Max()
	signed := lo < 0
	minF := 0.0
	if signed {
		minF = -1
	}
	if math.IsNaN(fraction) || fraction < minF || fraction > 1 {
		return 0, fmt.Errorf("%w: fraction %g, want one in [%g, 1]", ErrOutOfRange, fraction, minF)
	}
	if math.Abs(fraction) < ZeroFraction {
		return 0, nil
	}
	if fraction > 0 {
		base := lo
		if signed {
			base = 0
		}
		n := int32(math.Ceil(float64(base) + (float64(hi)-float64(base))*fraction))
		return min(n, hi), nil
	}
	n := -int32(math.Ceil(-float64(lo) * -fraction))
	return max(n, lo), nil
}
