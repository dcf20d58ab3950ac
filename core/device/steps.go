package device

import (
	"fmt"
	"math"
)

// StepsFromFraction converts a fraction in [0, 1], as spec v0–v3 clients
// send it, into steps of a range whose maximum is max. It rounds up, as the
// reference implementations do, so that any request above zero moves the
// device; a value outside [0, 1] wraps ErrOutOfRange.
func StepsFromFraction(v float64, max int32) (int32, error) {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return 0, fmt.Errorf("%w: %v is outside [0, 1]", ErrOutOfRange, v)
	}
	x := v * float64(max)
	if x > 1e-6 {
		return int32(math.Ceil(x)), nil
	}
	return 0, nil
}
