package protocol

import (
	"reflect"
	"sync"
)

// A decPlan says how to decode one Go type, worked out once from its
// reflect.Type and struct tags (fields.go) so that decoding a message does
// no tag parsing and no interface probing.
type decPlan struct {
	t    reflect.Type
	kind planKind
	bits int // kUint, kInt

	elem   *decPlan // kPtr, kSlice, kArray, and the values of kMap
	key    *decPlan // kMap: kEnum, kString, kUint of 32 bits, or kUnsupported
	length int      // kArray

	names    map[string]string // kEnum: accepted spelling -> canonical
	enumElem bool              // kSlice of an enumeration: unknown items are skipped when lenient

	fields []fieldPlan    // kStruct
	byKey  map[string]int // kStruct: name or alias -> index in fields
}

type planKind uint8

const (
	kUnsupported   planKind = iota
	kOutputCommand          // types with a JSON shape of their own (custom.go)
	kInputValue
	kRangeList
	kStruct
	kPtr
	kSlice
	kArray
	kMap
	kString
	kEnum
	kBool
	kUint
	kInt
	kFloat
)

type fieldPlan struct {
	name     string
	index    []int
	required bool
	// zeroEmpty: an optional empty list or object is written back as absent
	// (omitempty), so it decodes as absent too: one value, one encoding.
	// Lists with a minimum length stay empty so validation rejects them.
	zeroEmpty bool
	plan      *decPlan
}

var (
	decPlans sync.Map // reflect.Type -> *decPlan
	planMu   sync.Mutex
)

func planFor(t reflect.Type) *decPlan {
	if p, ok := decPlans.Load(t); ok {
		return p.(*decPlan)
	}
	planMu.Lock()
	defer planMu.Unlock()
	building := map[reflect.Type]*decPlan{}
	p := buildPlan(t, building)
	// Publish only complete plans: a type may refer to itself.
	for t, p := range building {
		decPlans.Store(t, p)
	}
	return p
}

func buildPlan(t reflect.Type, building map[reflect.Type]*decPlan) *decPlan {
	if p, ok := decPlans.Load(t); ok {
		return p.(*decPlan)
	}
	if p := building[t]; p != nil {
		return p
	}
	p := &decPlan{t: t}
	building[t] = p
	// Types with a JSON shape of their own are called directly rather than
	// through an interface, so that escape analysis keeps the decState on
	// the stack.
	switch t {
	case reflect.TypeFor[OutputCommand]():
		p.kind = kOutputCommand
		return p
	case reflect.TypeFor[InputValue]():
		p.kind = kInputValue
		return p
	case reflect.TypeFor[RangeList]():
		p.kind = kRangeList
		return p
	}
	switch t.Kind() {
	case reflect.Struct:
		p.kind = kStruct
		si := infoFor(t)
		p.byKey = si.byKey
		for _, f := range si.fields {
			ft := t.FieldByIndex(f.index).Type
			p.fields = append(p.fields, fieldPlan{
				name: f.name, index: f.index, required: f.required,
				zeroEmpty: !f.required && f.minItems == 0 && (ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map),
				plan:      buildPlan(ft, building),
			})
		}
	case reflect.Pointer:
		p.kind = kPtr
		p.elem = buildPlan(t.Elem(), building)
	case reflect.Slice:
		p.kind = kSlice
		p.elem = buildPlan(t.Elem(), building)
		p.enumElem = t.Elem().Implements(enumType)
	case reflect.Array:
		p.kind = kArray
		p.elem = buildPlan(t.Elem(), building)
		p.length = t.Len()
	case reflect.Map:
		p.kind = kMap
		p.elem = buildPlan(t.Elem(), building)
		p.key = &decPlan{t: t.Key()}
		switch t.Key().Kind() {
		case reflect.String:
			p.key = buildPlan(t.Key(), building)
		case reflect.Uint32:
			p.key.kind, p.key.bits = kUint, 32
		}
	case reflect.String:
		p.kind = kString
		if t.Implements(enumType) {
			p.kind = kEnum
			p.names = reflect.Zero(t).Interface().(enum).names()
		}
	case reflect.Bool:
		p.kind = kBool
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p.kind, p.bits = kUint, t.Bits()
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind, p.bits = kInt, t.Bits()
	case reflect.Float64:
		p.kind = kFloat
	}
	return p
}
