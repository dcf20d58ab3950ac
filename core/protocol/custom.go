package protocol

import (
	"fmt"
	"slices"
	"strconv"
)

// singleKey reads the one-key object at d.i (a command or a reading): its
// key, d.i at the key's value, an object, and where the whole object ends.
// A repeated key counts once, with its last value.
func (d *decState) singleKey() (key []byte, end int, fe *fieldErr) {
	if d.peek() != '{' {
		return nil, 0, d.wrongType("object")
	}
	start := d.i
	pos, n := 0, 0
	if d.enter() {
		key, pos, n = d.key(), d.i, 1
		d.skip()
		if d.more() {
			d.i = start
			ms := d.members()
			n = len(ms)
			if n == 1 {
				key, pos = []byte(ms[0].key), ms[0].pos
			}
		}
	}
	if n != 1 {
		return nil, 0, &fieldErr{err: ErrWrongType, detail: fmt.Sprintf("expected exactly one key, got %d", n)}
	}
	end, d.i = d.i, pos
	if d.peek() != '{' {
		return nil, 0, d.wrongType("object").at(string(key))
	}
	return key, end, nil
}

// scalarSlot is one field of a command or reading body: exactly one of u
// and i is set.
type scalarSlot struct {
	name string
	u    *uint32
	i    *int32
}

func (d *decState) scalar(s *scalarSlot) *fieldErr {
	if s.u != nil {
		u, fe := d.uintLit(32)
		*s.u = uint32(u)
		return fe
	}
	i, fe := d.intLit(32)
	*s.i = int32(i)
	return fe
}

func slotIndex(slots []scalarSlot, key []byte) int {
	for j := range slots {
		if slots[j].name == string(key) {
			return j
		}
	}
	return -1
}

// fields fills slots from the object at d.i; the first required slots must
// be present and, unless lenient, no other key may be.
func (d *decState) fields(slots []scalarSlot, required int) *fieldErr {
	start := d.i
	if !d.slow {
		var seen uint8
		ok := true
		if d.enter() {
			for ok {
				j := slotIndex(slots, d.key())
				switch {
				case j < 0 && d.lenient:
					d.skip()
				case j < 0 || seen&(1<<j) != 0:
					ok = false
				default:
					seen |= 1 << j
					ok = d.scalar(&slots[j]) == nil
				}
				if ok && !d.more() {
					break
				}
			}
		}
		if ok {
			for j := range required {
				if seen&(1<<j) == 0 {
					return (&fieldErr{err: ErrMissingField}).at(slots[j].name)
				}
			}
			return nil
		}
		d.i = start
	}
	// As the tree walker did, in the order of last occurrence.
	defer d.setSlow(d.slow)
	d.slow = true
	ms := d.members()
	end := d.i
	present := map[string]bool{}
	for _, m := range ms {
		present[m.key] = true
		j := slotIndex(slots, []byte(m.key))
		if j < 0 {
			if d.lenient {
				continue
			}
			return (&fieldErr{err: ErrUnknownField}).at(m.key)
		}
		d.i = m.pos
		if fe := d.scalar(&slots[j]); fe != nil {
			return fe.at(m.key)
		}
	}
	for _, s := range slots[:required] {
		if !present[s.name] {
			return (&fieldErr{err: ErrMissingField}).at(s.name)
		}
	}
	d.i = end
	return nil
}

func (c *OutputCommand) decodeJSON(d *decState) *fieldErr {
	k, end, fe := d.singleKey()
	if fe != nil {
		return fe
	}
	t, ok := outputTypeNames[string(k)]
	if !ok {
		return (&fieldErr{err: ErrInvalidEnum, detail: fmt.Sprintf("OutputType %q", k)}).at(string(k))
	}
	*c = OutputCommand{Type: OutputType(t)}
	if c.Type == OutputHwPositionWithDuration {
		var v uint32
		if fe := d.fields([]scalarSlot{{name: "Value", u: &v}, {name: "Duration", u: &c.Duration}}, 2); fe != nil {
			return fe.at(string(k))
		}
		if v > 1<<31-1 {
			return (&fieldErr{err: ErrOutOfRange, detail: strconv.FormatUint(uint64(v), 10)}).at("Value").at(string(k))
		}
		c.Value = int32(v)
	} else if fe := d.fields([]scalarSlot{{name: "Value", i: &c.Value}}, 1); fe != nil {
		return fe.at(string(k))
	}
	d.i = end
	return nil
}

// MarshalJSON writes the single-key command object.
func (c OutputCommand) MarshalJSON() ([]byte, error) {
	return c.appendJSON(nil)
}

func (c OutputCommand) appendJSON(b []byte) ([]byte, error) {
	if !c.Type.Valid() {
		return nil, fmt.Errorf("%w: OutputType %q", ErrInvalidEnum, c.Type)
	}
	if c.Type == OutputHwPositionWithDuration && c.Value < 0 {
		return nil, fmt.Errorf("%w: HwPositionWithDuration value %d is negative", ErrOutOfRange, c.Value)
	}
	b = append(b, `{"`...)
	b = append(b, c.Type...)
	b = append(b, `":{"Value":`...)
	b = strconv.AppendInt(b, int64(c.Value), 10)
	if c.Type == OutputHwPositionWithDuration {
		b = append(b, `,"Duration":`...)
		b = strconv.AppendUint(b, uint64(c.Duration), 10)
	}
	return append(b, "}}"...), nil
}

func (r *InputValue) decodeJSON(d *decState) *fieldErr {
	k, end, fe := d.singleKey()
	if fe != nil {
		return fe
	}
	t, ok := inputTypeNames[string(k)]
	if !ok {
		return (&fieldErr{err: ErrInvalidEnum, detail: fmt.Sprintf("InputType %q", k)}).at(string(k))
	}
	*r = InputValue{Type: InputType(t)}
	if fe := d.fields([]scalarSlot{{name: "Value", i: &r.Value}}, 1); fe != nil {
		return fe.at(string(k))
	}
	d.i = end
	return nil
}

// MarshalJSON writes the single-key reading object.
func (r InputValue) MarshalJSON() ([]byte, error) {
	if !r.Type.Valid() {
		return nil, fmt.Errorf("%w: InputType %q", ErrInvalidEnum, r.Type)
	}
	b := append([]byte(`{"`), r.Type...)
	b = append(b, `":{"Value":`...)
	b = strconv.AppendInt(b, int64(r.Value), 10)
	return append(b, "}}"...), nil
}

func (l *RangeList) decodeJSON(d *decState) *fieldErr {
	if d.peek() != '[' {
		return d.wrongType("array")
	}
	start := d.i
	if d.enter() && d.atNumber() {
		// [min,max] written without the outer list.
		d.i = start
		var r Range
		if fe := d.rangeValue(&r); fe != nil {
			return fe
		}
		*l = RangeList{r}
		return nil
	}
	d.i = start
	out := make(RangeList, d.count())
	d.enter()
	for i := range out {
		if fe := d.rangeValue(&out[i]); fe != nil {
			return fe.index(i)
		}
		d.more()
	}
	*l = out
	return nil
}

// rangeValue decodes a [min,max] pair as arrayValue would.
func (d *decState) rangeValue(r *Range) *fieldErr {
	if d.peek() != '[' {
		return d.wrongType("array")
	}
	return d.items(len(r), func(i int) *fieldErr {
		v, fe := d.intLit(32)
		r[i] = int32(v)
		return fe
	})
}

// MarshalJSON writes the bytes as an array of numbers.
func (b ByteArray) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 2+4*len(b))
	out = append(out, '[')
	for i, x := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(x), 10)
	}
	return append(out, ']'), nil
}

// Equal reports whether two byte arrays hold the same bytes.
func (b ByteArray) Equal(o ByteArray) bool { return slices.Equal(b, o) }
