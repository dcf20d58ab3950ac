package protocol

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Objects are decoded in one pass in document order. The tree walker this
// replaced (kept as the reference in treedecoder_test.go) saw each key once
// (encoding/json keeps the last value of a repeated key) and stopped at its
// first error, visiting struct keys in map order and map keys sorted. Where
// that order matters, after an error or a repeated key, the object is
// decoded again by the *Slow methods, which follow the walker step by step
// over the keys in the order of their last occurrence (a deterministic
// choice among the walker's possible orders). Those passes are taken only
// for bad or odd input.

// member is one key of an object and where its value starts.
type member struct {
	key string
	pos int
}

// members indexes the object at d.i, moving past it: each key once, at its
// last occurrence, with its last value.
func (d *decState) members() []member {
	var all []member
	if d.enter() {
		for {
			k := d.key()
			all = append(all, member{key: string(k), pos: d.i})
			d.skip()
			if !d.more() {
				break
			}
		}
	}
	last := make(map[string]int, len(all))
	for i, m := range all {
		last[m.key] = i
	}
	out := all[:0]
	for i, m := range all {
		if last[m.key] == i {
			out = append(out, m)
		}
	}
	return out
}

// structValue is the fast pass over a struct's object.
func (d *decState) structValue(p *decPlan, v reflect.Value) *fieldErr {
	start := d.i
	var seen uint64 // bit i set when field i was present; messages have < 64 fields
	var unknown []string
	next := 0 // keys usually come in field order
	if d.enter() {
		for {
			k := d.key()
			i := -1
			if next < len(p.fields) && p.fields[next].name == string(k) {
				i = next
			} else if j, ok := p.byKey[string(k)]; ok {
				i = j
			}
			if i < 0 {
				if !d.lenient {
					unknown = append(unknown, string(k))
				}
				d.skip()
			} else {
				if seen&(1<<i) != 0 {
					d.i = start
					return d.structSlow(p, v)
				}
				seen |= 1 << i
				next = i + 1
				f := &p.fields[i]
				fv := v.FieldByIndex(f.index)
				if fe := d.value(f.plan, fv); fe != nil {
					d.i = start
					return d.structSlow(p, v)
				}
				if f.zeroEmpty && fv.Len() == 0 {
					fv.SetZero()
				}
			}
			if !d.more() {
				break
			}
		}
	}
	return p.structEnd(seen, unknown)
}

// structSlow decodes a struct's object as the tree walker did.
func (d *decState) structSlow(p *decPlan, v reflect.Value) *fieldErr {
	defer d.setSlow(d.slow)
	d.slow = true
	v.SetZero()
	ms := d.members()
	end := d.i
	var seen uint64
	var unknown []string
	for _, m := range ms {
		i, ok := p.byKey[m.key]
		if !ok {
			if !d.lenient {
				unknown = append(unknown, m.key)
			}
			continue
		}
		f := &p.fields[i]
		if seen&(1<<i) != 0 {
			return (&fieldErr{err: ErrWrongType, detail: "field given twice (under an alias)"}).at(f.name)
		}
		seen |= 1 << i
		fv := v.FieldByIndex(f.index)
		d.i = m.pos
		if fe := d.value(f.plan, fv); fe != nil {
			return fe.at(m.key)
		}
		if f.zeroEmpty && fv.Len() == 0 {
			fv.SetZero()
		}
	}
	d.i = end
	return p.structEnd(seen, unknown)
}

func (d *decState) setSlow(slow bool) { d.slow = slow }

// structEnd reports unknown keys (all of them, sorted) and then the first
// missing required field, once every present field decoded.
func (p *decPlan) structEnd(seen uint64, unknown []string) *fieldErr {
	if len(unknown) > 0 {
		slices.Sort(unknown)
		unknown = slices.Compact(unknown)
		return (&fieldErr{err: ErrUnknownField, detail: fmt.Sprintf("%d unknown field(s): %s", len(unknown), strings.Join(unknown, ", "))}).at(unknown[0])
	}
	for i := range p.fields {
		if f := &p.fields[i]; f.required && seen&(1<<i) == 0 {
			return (&fieldErr{err: ErrMissingField}).at(f.name)
		}
	}
	return nil
}

// mapValue is the fast pass over a map's object. Any error, or two keys
// landing on one map key ("1" and "01", "RSSI" and "Rssi"), sends it to
// mapSlow, which takes the keys in sorted order as the walker did.
func (d *decState) mapValue(p *decPlan, v reflect.Value) *fieldErr {
	start := d.i
	out := reflect.MakeMap(p.t)
	tmp := d.takeTemp(p.t)
	defer func() { d.temps[tmp].busy = false }()
	key, elem := d.temps[tmp].key, d.temps[tmp].elem
	if d.enter() {
		for {
			k := d.key()
			skip := false
			switch p.key.kind {
			case kEnum:
				c, ok := p.key.names[string(k)]
				if !ok && !d.lenient {
					d.i = start
					return d.mapSlow(p, v)
				}
				skip = !ok
				key.SetString(c)
			case kString:
				key.SetString(string(k))
			case kUint:
				u, ok := digitsUint(k, 32)
				if !ok {
					d.i = start
					return d.mapSlow(p, v)
				}
				key.SetUint(u)
			default:
				d.i = start
				return d.mapSlow(p, v)
			}
			if skip {
				d.skip()
			} else {
				elem.SetZero()
				if fe := d.value(p.elem, elem); fe != nil {
					d.i = start
					return d.mapSlow(p, v)
				}
				n := out.Len()
				out.SetMapIndex(key, elem)
				if out.Len() == n {
					d.i = start
					return d.mapSlow(p, v)
				}
			}
			if !d.more() {
				break
			}
		}
	}
	v.Set(out)
	return nil
}

// mapSlow decodes a map's object as the tree walker did: keys sorted,
// stopping at the first error.
func (d *decState) mapSlow(p *decPlan, v reflect.Value) *fieldErr {
	defer d.setSlow(d.slow)
	d.slow = true
	ms := d.members()
	end := d.i
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
	out := reflect.MakeMapWithSize(p.t, len(ms))
	tmp := d.takeTemp(p.t)
	defer func() { d.temps[tmp].busy = false }()
	key, elem := d.temps[tmp].key, d.temps[tmp].elem
	for _, m := range ms {
		kpath := "[" + strconv.Quote(m.key) + "]"
		switch p.key.kind {
		case kEnum:
			c, ok := p.key.names[m.key]
			if !ok {
				if d.lenient {
					continue
				}
				return (&fieldErr{err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", p.t.Key().Name(), m.key)}).raw(kpath)
			}
			key.SetString(c)
		case kString:
			key.SetString(m.key)
		case kUint:
			u, fe := parseUint(m.key, 32)
			if fe != nil {
				fe.detail = "map key: " + fe.detail
				return fe.raw(kpath)
			}
			key.SetUint(u)
		default:
			return (&fieldErr{err: ErrWrongType, detail: "unsupported map key type"}).raw(kpath)
		}
		elem.SetZero()
		d.i = m.pos
		if fe := d.value(p.elem, elem); fe != nil {
			return fe.raw(kpath)
		}
		out.SetMapIndex(key, elem)
	}
	d.i = end
	v.Set(out)
	return nil
}
