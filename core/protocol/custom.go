package protocol

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Types with a JSON shape of their own are read by these functions, which
// the codec gives the library as type-specific unmarshalers. They read
// tokens from the library's decoder and report problems as *fieldErr with a
// path relative to the value; once they have read into the value they wrap
// it in a *posErr that says where the value is.

// posErr is a failure inside a value read by a custom unmarshaler, with the
// JSON pointer of that value.
type posErr struct {
	ptr jsontext.Pointer
	fe  *fieldErr
}

func (e *posErr) Error() string { return string(e.ptr) + ": " + e.fe.Error() }

// inside wraps fe, found after the value that starts at depth was entered.
func inside(dec *jsontext.Decoder, depth int, fe *fieldErr) error {
	p := dec.StackPointer()
	n := 0
	for i := range len(p) {
		if p[i] == '/' {
			if n == depth {
				p = p[:i]
				break
			}
			n++
		}
	}
	return &posErr{ptr: p, fe: fe}
}

// scalarSlot is one integer member of a command or reading body: exactly
// one of u and i is set.
type scalarSlot struct {
	name string
	u    *uint32
	i    *int32
}

// readSingleKey reads the one-key object at dec (a command or a reading)
// whose key is an enumeration in names, and the integer members of its
// value into slots; the first required slots must be present and, unless
// lenient, no other member may be. It returns the key's canonical spelling.
func readSingleKey(dec *jsontext.Decoder, lenient bool, enum string, names map[string]string, slots func(key string) ([]scalarSlot, int)) (string, error) {
	if k := dec.PeekKind(); k != '{' {
		return "", wrongType("object", k)
	}
	depth := dec.StackDepth()
	if _, err := dec.ReadToken(); err != nil {
		return "", err
	}
	fail := func(fe *fieldErr) (string, error) { return "", inside(dec, depth, fe) }
	if dec.PeekKind() == '}' {
		return fail(&fieldErr{err: ErrWrongType, detail: "expected exactly one key, got 0"})
	}
	rawKey, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	key := string(unquote(rawKey))
	if k := dec.PeekKind(); k != '{' {
		return fail(wrongType("object", k).at(key))
	}
	c, ok := names[key]
	if !ok {
		return fail((&fieldErr{err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", enum, key)}).at(key))
	}
	ss, required := slots(c)
	if _, err := dec.ReadToken(); err != nil {
		return "", err
	}
	var seen uint8
	for dec.PeekKind() != '}' {
		rawName, err := dec.ReadValue()
		if err != nil {
			return "", err
		}
		name := string(unquote(rawName))
		j := slices.IndexFunc(ss, func(s scalarSlot) bool { return s.name == name })
		if j < 0 {
			if !lenient {
				return fail((&fieldErr{err: ErrUnknownField}).at(name).at(key))
			}
			if err := dec.SkipValue(); err != nil {
				return "", err
			}
			continue
		}
		seen |= 1 << j
		if fe := readScalar(dec, &ss[j]); fe != nil {
			return fail(fe.at(name).at(key))
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return "", err
	}
	for j := range required {
		if seen&(1<<j) == 0 {
			return fail((&fieldErr{err: ErrMissingField}).at(ss[j].name).at(key))
		}
	}
	if dec.PeekKind() != '}' {
		n := 1
		for dec.PeekKind() != '}' {
			if _, err := dec.ReadValue(); err != nil {
				return "", err
			}
			if err := dec.SkipValue(); err != nil {
				return "", err
			}
			n++
		}
		return fail(&fieldErr{err: ErrWrongType, detail: fmt.Sprintf("expected exactly one key, got %d", n)})
	}
	if _, err := dec.ReadToken(); err != nil {
		return "", err
	}
	return c, nil
}

func readScalar(dec *jsontext.Decoder, s *scalarSlot) *fieldErr {
	if s.u != nil {
		u, fe := readInteger(dec, 32, false)
		*s.u = uint32(u)
		return fe
	}
	i, fe := readInteger(dec, 32, true)
	*s.i = int32(i)
	return fe
}

// readInteger reads an integer of the given size, signed or not.
func readInteger(dec *jsontext.Decoder, bits int, signed bool) (int64, *fieldErr) {
	if k := dec.PeekKind(); k != '0' {
		if k == 0 {
			_, err := dec.ReadValue()
			return 0, syntaxErr(err)
		}
		if err := dec.SkipValue(); err != nil {
			return 0, syntaxErr(err)
		}
		return 0, wrongType("integer", k)
	}
	v, err := dec.ReadValue()
	if err != nil {
		return 0, syntaxErr(err)
	}
	if signed {
		return parseInt(string(v), bits)
	}
	if u, ok := digitsUint(v, bits); ok {
		return int64(u), nil
	}
	u, fe := parseUint(string(v), bits)
	return int64(u), fe
}

func decodeOutputCommand(dec *jsontext.Decoder, c *OutputCommand, lenient bool) error {
	var out OutputCommand
	var v uint32
	t, err := readSingleKey(dec, lenient, "OutputType", outputTypeNames, func(t string) ([]scalarSlot, int) {
		if OutputType(t) == OutputHwPositionWithDuration {
			return []scalarSlot{{name: "Value", u: &v}, {name: "Duration", u: &out.Duration}}, 2
		}
		return []scalarSlot{{name: "Value", i: &out.Value}}, 1
	})
	if err != nil {
		return err
	}
	out.Type = OutputType(t)
	if out.Type == OutputHwPositionWithDuration {
		if v > 1<<31-1 {
			return &posErr{ptr: dec.StackPointer(), fe: (&fieldErr{err: ErrOutOfRange, detail: strconv.FormatUint(uint64(v), 10)}).at("Value").at(t)}
		}
		out.Value = int32(v)
	}
	*c = out
	return nil
}

func decodeInputValue(dec *jsontext.Decoder, r *InputValue, lenient bool) error {
	var out InputValue
	t, err := readSingleKey(dec, lenient, "InputType", inputTypeNames, func(string) ([]scalarSlot, int) {
		return []scalarSlot{{name: "Value", i: &out.Value}}, 1
	})
	if err != nil {
		return err
	}
	out.Type = InputType(t)
	*r = out
	return nil
}

// decodeRangeList reads [[min,max],...], or a single [min,max] pair as a
// one-element list.
func decodeRangeList(dec *jsontext.Decoder, l *RangeList) error {
	if k := dec.PeekKind(); k != '[' {
		return wrongType("array", k)
	}
	depth := dec.StackDepth()
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if dec.PeekKind() == '0' {
		var r Range
		if fe := readRangeItems(dec, &r); fe != nil {
			return inside(dec, depth, fe)
		}
		*l = RangeList{r}
		return nil
	}
	out := RangeList{}
	for i := 0; dec.PeekKind() != ']'; i++ {
		var r Range
		if fe := readRange(dec, &r); fe != nil {
			return inside(dec, depth, fe.index(i))
		}
		out = append(out, r)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*l = out
	return nil
}

func decodeRange(dec *jsontext.Decoder, r *Range) error {
	if k := dec.PeekKind(); k != '[' {
		return wrongType("array", k)
	}
	depth := dec.StackDepth()
	if fe := readRange(dec, r); fe != nil {
		return inside(dec, depth, fe)
	}
	return nil
}

// readRange reads a [min,max] pair.
func readRange(dec *jsontext.Decoder, r *Range) *fieldErr {
	if k := dec.PeekKind(); k != '[' {
		if err := dec.SkipValue(); err != nil {
			return syntaxErr(err)
		}
		return wrongType("array", k)
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(err)
	}
	return readRangeItems(dec, r)
}

// readRangeItems reads the items of a pair and its closing bracket.
func readRangeItems(dec *jsontext.Decoder, r *Range) *fieldErr {
	n := 0
	for ; dec.PeekKind() != ']'; n++ {
		if n >= len(r) {
			if err := dec.SkipValue(); err != nil {
				return syntaxErr(err)
			}
			continue
		}
		v, fe := readInteger(dec, 32, true)
		if fe != nil {
			return fe.index(n)
		}
		r[n] = int32(v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(err)
	}
	if n != len(r) {
		return &fieldErr{err: ErrWrongType, detail: fmt.Sprintf("expected %d items, got %d", len(r), n)}
	}
	return nil
}

// decodeByteArray reads an array of numbers 0..255.
func decodeByteArray(dec *jsontext.Decoder, b *ByteArray) error {
	if k := dec.PeekKind(); k != '[' {
		return wrongType("array", k)
	}
	depth := dec.StackDepth()
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	out := ByteArray{}
	for i := 0; dec.PeekKind() != ']'; i++ {
		v, fe := readInteger(dec, 8, false)
		if fe != nil {
			return inside(dec, depth, fe.index(i))
		}
		out = append(out, byte(v))
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*b = out
	return nil
}

// decodeEnum reads a string enumeration, stored in its canonical spelling.
// A value it does not know is stored as is: validation refuses it, or a
// lenient decoder drops it from lists and map keys.
func decodeEnum[T ~string](names map[string]string) *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *T) error {
		if k := dec.PeekKind(); k != '"' {
			return wrongType("string", k)
		}
		s, err := dec.ReadValue()
		if err != nil {
			return err
		}
		name := unquote(s)
		if c, ok := names[string(name)]; ok {
			*v = T(c)
		} else {
			*v = T(name)
		}
		return nil
	})
}

// decodeEnumMap reads a map keyed by an enumeration. A lenient decoder
// skips the entries whose key it does not know without reading them: a
// newer server's output or input type may have another shape. A strict
// decoder leaves the map to the library (and the key to validation).
func decodeEnumMap[K ~string, V any](names map[string]string, lenient bool) *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *map[K]V) error {
		if !lenient || dec.PeekKind() != '{' {
			return errors.ErrUnsupported
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		out := map[K]V{}
		for dec.PeekKind() != '}' {
			name, err := dec.ReadValue()
			if err != nil {
				return err
			}
			c, ok := names[string(unquote(name))]
			if !ok {
				if err := dec.SkipValue(); err != nil {
					return err
				}
				continue
			}
			var v V
			if err := json.UnmarshalDecode(dec, &v); err != nil {
				return err
			}
			out[K(c)] = v
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		*m = out
		return nil
	})
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
