package protocol

import (
	"slices"
	"strconv"
)

// The commonest frames, a client's OutputCmd (spec v4) or ScalarCmd (spec
// v3) and the server's Ok reply, are recognised byte for byte in the compact form Encode writes and read
// without the JSON library; any other spelling (white space, other key
// order, a leading zero, an unknown output type) takes the library path,
// which reads the same frame to the same message (FuzzFastPath checks it).

// fastMsg is a message read by the fast path.
type fastMsg struct {
	name    string // "Ok", "OutputCmd" or "ScalarCmd"; "" when the fast path did not read it
	id      uint32
	dev     uint32
	feat    uint32
	cmd     OutputCommand
	scalars []ScalarSubcommand
}

// message returns a new message with the values read.
func (f *fastMsg) message() Message {
	switch f.name {
	case "Ok":
		return &Ok{ID: f.id}
	case "ScalarCmd":
		return &ScalarCmd{ID: f.id, DeviceIndex: f.dev, Scalars: slices.Clone(f.scalars)}
	}
	return &OutputCmd{ID: f.id, DeviceIndex: f.dev, FeatureIndex: f.feat, Command: f.cmd}
}

// fastFrame reads frame if it is one compact Ok or OutputCmd.
func fastFrame(frame []byte) (Envelope, bool) {
	c := cursor{b: frame}
	var f fastMsg
	switch {
	case c.lit(`[{"Ok":{"Id":`):
		f.name = "Ok"
		if !c.uint(&f.id) || !c.lit(`}}]`) {
			return Envelope{}, false
		}
	case c.lit(`[{"OutputCmd":{"Id":`):
		f.name = "OutputCmd"
		if !c.uint(&f.id) || !c.lit(`,"DeviceIndex":`) || !c.uint(&f.dev) ||
			!c.lit(`,"FeatureIndex":`) || !c.uint(&f.feat) || !c.lit(`,"Command":{"`) {
			return Envelope{}, false
		}
		name := c.until('"')
		t, ok := outputTypeNames[string(name)]
		if !ok || !c.lit(`":{"Value":`) || !c.int(&f.cmd.Value) {
			return Envelope{}, false
		}
		f.cmd.Type = OutputType(t)
		if f.cmd.Type == OutputHwPositionWithDuration {
			if f.cmd.Value < 0 || !c.lit(`,"Duration":`) || !c.uint(&f.cmd.Duration) {
				return Envelope{}, false
			}
		}
		if !c.lit(`}}}}]`) {
			return Envelope{}, false
		}
	case c.lit(`[{"ScalarCmd":{"Id":`):
		f.name = "ScalarCmd"
		if !c.uint(&f.id) || !c.lit(`,"DeviceIndex":`) || !c.uint(&f.dev) || !c.lit(`,"Scalars":[`) {
			return Envelope{}, false
		}
		for first := true; first || c.lit(","); first = false {
			var sc ScalarSubcommand
			if !c.lit(`{"Index":`) || !c.uint(&sc.Index) || !c.lit(`,"Scalar":`) || !c.float(&sc.Scalar) || !c.lit(`,"ActuatorType":"`) {
				return Envelope{}, false
			}
			t, ok := actuatorTypeNames[string(c.until('"'))]
			if !ok || !c.lit(`"}`) {
				return Envelope{}, false
			}
			sc.ActuatorType = ActuatorType(t)
			f.scalars = append(f.scalars, sc)
		}
		if !c.lit(`]}}]`) {
			return Envelope{}, false
		}
	default:
		return Envelope{}, false
	}
	if c.i != len(frame) {
		return Envelope{}, false
	}
	// No body: the message is read already, and the envelope need not keep
	// the frame.
	return Envelope{Name: f.name, ID: f.id, HasID: true, fast: f}, true
}

// cursor reads a frame byte by byte.
type cursor struct {
	b []byte
	i int
}

func (c *cursor) lit(s string) bool {
	if len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		return false
	}
	c.i += len(s)
	return true
}

// until returns the bytes up to the next c, which it leaves unread.
func (c *cursor) until(stop byte) []byte {
	start := c.i
	for c.i < len(c.b) && c.b[c.i] != stop {
		c.i++
	}
	return c.b[start:c.i]
}

// digits returns a canonical run of digits: no leading zero, at most 10.
func (c *cursor) digits() []byte {
	start := c.i
	for c.i < len(c.b) && c.i-start <= 10 && '0' <= c.b[c.i] && c.b[c.i] <= '9' {
		c.i++
	}
	d := c.b[start:c.i]
	if len(d) == 0 || len(d) > 10 || len(d) > 1 && d[0] == '0' {
		return nil
	}
	return d
}

func (c *cursor) uint(v *uint32) bool {
	u, ok := digitsUint(c.digits(), 32)
	*v = uint32(u)
	return ok
}

// float reads a number written as digits with an optional fraction, as
// encoding/json writes a Scalar; anything else is for the library.
func (c *cursor) float(v *float64) bool {
	start := c.i
	if c.digits() == nil {
		return false
	}
	if c.lit(".") {
		n := c.i
		for c.i < len(c.b) && '0' <= c.b[c.i] && c.b[c.i] <= '9' {
			c.i++
		}
		if c.i == n {
			return false
		}
	}
	f, err := strconv.ParseFloat(string(c.b[start:c.i]), 64)
	*v = f
	return err == nil
}

func (c *cursor) int(v *int32) bool {
	neg := c.lit("-")
	d := c.digits()
	if d == nil {
		return false
	}
	s := string(d)
	if neg {
		s = "-" + s
	}
	n, err := strconv.ParseInt(s, 10, 32)
	*v = int32(n)
	return err == nil && !(neg && n == 0)
}
