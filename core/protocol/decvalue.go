package protocol

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// value decodes the JSON value at d.i into v as plan p says. It returns the
// error the tree walker this replaces returned for the same input; the path
// of the error is relative to v.
func (d *decState) value(p *decPlan, v reflect.Value) *fieldErr {
	switch p.kind {
	case kOutputCommand:
		return (*OutputCommand)(v.Addr().UnsafePointer()).decodeJSON(d)
	case kInputValue:
		return (*InputValue)(v.Addr().UnsafePointer()).decodeJSON(d)
	case kRangeList:
		return (*RangeList)(v.Addr().UnsafePointer()).decodeJSON(d)
	case kStruct:
		if d.peek() != '{' {
			return d.wrongType("object")
		}
		if d.slow {
			return d.structSlow(p, v)
		}
		return d.structValue(p, v)
	case kPtr:
		nv := reflect.New(p.elem.t)
		if fe := d.value(p.elem, nv.Elem()); fe != nil {
			return fe
		}
		v.Set(nv)
		return nil
	case kSlice:
		return d.sliceValue(p, v)
	case kArray:
		return d.arrayValue(p, v)
	case kMap:
		if d.peek() != '{' {
			return d.wrongType("object")
		}
		if d.slow {
			return d.mapSlow(p, v)
		}
		return d.mapValue(p, v)
	case kString:
		if d.peek() != '"' {
			return d.wrongType("string")
		}
		v.SetString(string(d.str()))
		return nil
	case kEnum:
		if d.peek() != '"' {
			return d.wrongType("string")
		}
		c, fe := p.canonical(d.str())
		if fe != nil {
			return fe
		}
		v.SetString(c)
		return nil
	case kBool:
		switch d.peek() {
		case 't':
			d.i += len("true")
			v.SetBool(true)
		case 'f':
			d.i += len("false")
			v.SetBool(false)
		default:
			return d.wrongType("boolean")
		}
		return nil
	case kUint:
		u, fe := d.uintLit(p.bits)
		if fe != nil {
			return fe
		}
		v.SetUint(u)
		return nil
	case kInt:
		i, fe := d.intLit(p.bits)
		if fe != nil {
			return fe
		}
		v.SetInt(i)
		return nil
	case kFloat:
		if !d.atNumber() {
			return d.wrongType("number")
		}
		lit := d.num()
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil || math.IsInf(f, 0) {
			return &fieldErr{err: ErrOutOfRange, detail: string(lit)}
		}
		v.SetFloat(f)
		return nil
	}
	return &fieldErr{err: ErrWrongType, detail: "unsupported Go type " + p.t.String()}
}

// uintLit reads an unsigned integer of the given size.
func (d *decState) uintLit(bits int) (uint64, *fieldErr) {
	if !d.atNumber() {
		return 0, d.wrongType("integer")
	}
	lit := d.num()
	if u, ok := digitsUint(lit, bits); ok {
		return u, nil
	}
	return parseUint(string(lit), bits)
}

// intLit reads a signed integer of the given size.
func (d *decState) intLit(bits int) (int64, *fieldErr) {
	if !d.atNumber() {
		return 0, d.wrongType("integer")
	}
	lit := d.num()
	if i, ok := digitsInt(lit, bits); ok {
		return i, nil
	}
	return parseInt(string(lit), bits)
}

func (d *decState) atNumber() bool {
	c := d.peek()
	return c == '-' || isDigit(c)
}

func (d *decState) wrongType(want string) *fieldErr {
	return &fieldErr{err: ErrWrongType, detail: "expected " + want + ", got " + d.kind()}
}

// canonical maps an accepted spelling of the enumeration p to the one this
// package writes.
func (p *decPlan) canonical(s []byte) (string, *fieldErr) {
	if c, ok := p.names[string(s)]; ok {
		return c, nil
	}
	return "", &fieldErr{err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", p.t.Name(), s)}
}

// sliceValue decodes a JSON array into a slice, in order, stopping at the
// first bad item; when lenient, unknown enumeration values are left out.
func (d *decState) sliceValue(p *decPlan, v reflect.Value) *fieldErr {
	if d.peek() != '[' {
		return d.wrongType("array")
	}
	n := d.count()
	out := reflect.MakeSlice(p.t, n, n)
	kept := 0
	if d.enter() {
		for i := 0; ; i++ {
			item := out.Index(kept)
			if fe := d.value(p.elem, item); fe != nil {
				if !(d.lenient && p.enumElem && fe.err == ErrInvalidEnum) {
					return fe.index(i)
				}
				item.SetZero() // a newer server's value this client does not know
			} else {
				kept++
			}
			if !d.more() || kept == n {
				break
			}
		}
	}
	if kept < n {
		out = out.Slice(0, kept)
	}
	v.Set(out)
	return nil
}

// arrayValue decodes a JSON array of exactly the Go array's length; a wrong
// length is reported before any bad item.
func (d *decState) arrayValue(p *decPlan, v reflect.Value) *fieldErr {
	if d.peek() != '[' {
		return d.wrongType("array")
	}
	return d.items(p.length, func(i int) *fieldErr { return d.value(p.elem, v.Index(i)) })
}

// items decodes the n items of the array at d.i with item. As the tree
// walker did, it reports a wrong length before any bad item.
func (d *decState) items(n int, item func(i int) *fieldErr) *fieldErr {
	start := d.i
	lengthErr := func() *fieldErr {
		end := d.i
		d.i = start
		got := d.count()
		d.i = end
		if got != n {
			return &fieldErr{err: ErrWrongType, detail: fmt.Sprintf("expected %d items, got %d", n, got)}
		}
		return nil
	}
	if !d.enter() {
		return lengthErr()
	}
	for i := 0; ; i++ {
		if i == n {
			return lengthErr()
		}
		if fe := item(i); fe != nil {
			if le := lengthErr(); le != nil {
				return le
			}
			return fe.index(i)
		}
		if !d.more() {
			if i+1 != n {
				return lengthErr()
			}
			return nil
		}
	}
}
