package protocol

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sync"
)

// validate checks the value rules of the bp tags (ids, bounds, lengths) and
// that every enumeration holds a canonical known value. Decoding and encoding
// both run it, so what the codec writes it would also accept. The first
// failure in field order is returned; map entries are taken in key order.
func validate(v reflect.Value) *fieldErr {
	p := valPlanFor(v.Type())
	if p == nil {
		return nil
	}
	return p.check(v)
}

// valPlan is what validate checks for one type; a nil plan means nothing
// about the type can be wrong.
type valPlan struct {
	kind    valKind
	checker bool // the type has rules of its own (checker)

	fields []valField // vStruct
	elem   *valPlan   // vPtr, vSeq, and the values of vMap
	key    *valPlan   // vMap: an enumeration key, or nil

	t     reflect.Type      // vEnum
	names map[string]string // vEnum
}

type valKind uint8

const (
	vOther valKind = iota
	vStruct
	vPtr
	vSeq
	vMap
	vEnum
)

type valField struct {
	info  *fieldInfo
	rules bool // the tag has an id rule, bounds or a minimum length
	plan  *valPlan
}

var (
	valPlans sync.Map // reflect.Type -> *valPlan (nil stored as a typed nil)
	valMu    sync.Mutex
)

func valPlanFor(t reflect.Type) *valPlan {
	if p, ok := valPlans.Load(t); ok {
		return p.(*valPlan)
	}
	valMu.Lock()
	defer valMu.Unlock()
	building := map[reflect.Type]*valPlan{}
	p := buildValPlan(t, building)
	for k, p := range building {
		valPlans.Store(k, p)
	}
	return p
}

func buildValPlan(t reflect.Type, building map[reflect.Type]*valPlan) *valPlan {
	if p, ok := valPlans.Load(t); ok {
		return p.(*valPlan)
	}
	if p, ok := building[t]; ok {
		return p // a type that contains itself: checked as far as it goes
	}
	p := &valPlan{checker: t.Implements(checkerType)}
	building[t] = p
	sub := func(t reflect.Type) *valPlan { return buildValPlan(t, building) }
	switch t.Kind() {
	case reflect.Pointer:
		p.kind, p.elem = vPtr, sub(t.Elem())
	case reflect.Struct:
		p.kind = vStruct
		si := infoFor(t)
		for i := range si.fields {
			f := &si.fields[i]
			vf := valField{info: f, plan: sub(t.FieldByIndex(f.index).Type),
				rules: f.idKind == "client" || f.idKind == "system" || f.minItems > 0 || f.min != nil || f.max != nil}
			if vf.rules || vf.plan != nil {
				p.fields = append(p.fields, vf)
			}
		}
	case reflect.Slice, reflect.Array:
		p.kind, p.elem = vSeq, sub(t.Elem())
	case reflect.Map:
		p.kind, p.elem, p.key = vMap, sub(t.Elem()), sub(t.Key())
		if p.key != nil && p.key.kind != vEnum {
			p.key = nil // only an enumeration key is checked
		}
	case reflect.String:
		if t.Implements(enumType) {
			p.kind, p.t = vEnum, t
			p.names = reflect.Zero(t).Interface().(enum).names()
		}
	}
	if !p.checker && p.kind != vEnum && p.elem == nil && p.key == nil && p.fields == nil {
		building[t] = nil
		return nil
	}
	return p
}

func (p *valPlan) check(v reflect.Value) *fieldErr {
	if p.checker {
		if fe := v.Interface().(checker).check(); fe != nil {
			return fe
		}
	}
	switch p.kind {
	case vPtr:
		if v.IsNil() || p.elem == nil {
			return nil
		}
		return p.elem.check(v.Elem())
	case vStruct:
		for i := range p.fields {
			f := &p.fields[i]
			fv := v.FieldByIndex(f.info.index)
			if f.rules {
				if fe := checkField(f.info, fv); fe != nil {
					return fe.at(f.info.name)
				}
			}
			if f.plan != nil {
				if fe := f.plan.check(fv); fe != nil {
					return fe.at(f.info.name)
				}
			}
		}
	case vSeq:
		if p.elem == nil {
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			if fe := p.elem.check(v.Index(i)); fe != nil {
				return fe.index(i)
			}
		}
	case vMap:
		return p.checkMap(v)
	case vEnum:
		if c, ok := p.names[v.String()]; !ok || c != v.String() {
			return &fieldErr{err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", p.t.Name(), v.String())}
		}
	}
	return nil
}

// checkMap checks the entries in map order, and only if one is wrong again
// in key order, so that which error is reported does not depend on the
// map's iteration order.
func (p *valPlan) checkMap(v reflect.Value) *fieldErr {
	if v.Len() == 0 || p.key == nil && p.elem == nil {
		return nil
	}
	k := reflect.New(v.Type().Key()).Elem()
	e := reflect.New(v.Type().Elem()).Elem()
	bad := false
	for it := v.MapRange(); it.Next() && !bad; {
		k.SetIterKey(it)
		e.SetIterValue(it)
		bad = p.checkEntry(k, e) != nil
	}
	if !bad {
		return nil
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, compareKeys)
	for _, key := range keys {
		if fe := p.checkEntry(key, v.MapIndex(key)); fe != nil {
			return fe.raw(fmt.Sprintf("[%v]", key.Interface()))
		}
	}
	return nil
}

func (p *valPlan) checkEntry(k, e reflect.Value) *fieldErr {
	if p.key != nil {
		if fe := p.key.check(k); fe != nil {
			return fe
		}
	}
	if p.elem != nil {
		return p.elem.check(e)
	}
	return nil
}

// compareKeys orders map keys of the kinds messages use.
func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.String:
		return cmp.Compare(a.String(), b.String())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		return cmp.Compare(a.Uint(), b.Uint())
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return cmp.Compare(a.Int(), b.Int())
	}
	return cmp.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
}

// checker is implemented by types with rules that tags cannot express. The
// error's path is relative to the value.
type checker interface {
	check() *fieldErr
}

var checkerType = reflect.TypeFor[checker]()

// checkField applies a field's tag rules; the error's path is relative to
// the field.
func checkField(f *fieldInfo, v reflect.Value) *fieldErr {
	switch f.idKind {
	case "client":
		if v.Uint() == 0 {
			return &fieldErr{err: ErrInvalidID, detail: "client message ids are 1..4294967295; 0 is reserved for server events"}
		}
	case "system":
		if v.Uint() != 0 {
			return &fieldErr{err: ErrInvalidID, detail: fmt.Sprintf("server events use Id 0, got %d", v.Uint())}
		}
	}
	if f.minItems > 0 && (v.Kind() == reflect.Slice) && v.Len() < f.minItems {
		// An absent optional slice is allowed; a present empty one is not.
		if f.required || !v.IsNil() {
			return &fieldErr{err: ErrOutOfRange, detail: fmt.Sprintf("needs at least %d item(s)", f.minItems)}
		}
	}
	if f.min == nil && f.max == nil {
		return nil
	}
	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			if fe := checkBounds(f, v.Index(i)); fe != nil {
				return fe.index(i)
			}
		}
		return nil
	}
	if !f.required && v.IsZero() {
		return nil // absent optional field
	}
	return checkBounds(f, v)
}

func checkBounds(f *fieldInfo, v reflect.Value) *fieldErr {
	var x float64
	switch v.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x = float64(v.Uint())
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x = float64(v.Int())
	case reflect.Float64:
		x = v.Float()
	default:
		return nil
	}
	if (f.min != nil && x < *f.min) || (f.max != nil && x > *f.max) || x != x {
		lo, hi := "-inf", "+inf"
		if f.min != nil {
			lo = fmt.Sprint(*f.min)
		}
		if f.max != nil {
			hi = fmt.Sprint(*f.max)
		}
		return &fieldErr{err: ErrOutOfRange, detail: fmt.Sprintf("%v not in [%s, %s]", x, lo, hi)}
	}
	return nil
}
