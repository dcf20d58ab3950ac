package protocol

import (
	"fmt"
	"reflect"
)

// validate checks the value rules of the bp tags (ids, bounds, lengths) and
// that every enumeration holds a canonical known value. Decoding and encoding
// both run it, so what the codec writes it would also accept.
func validate(v reflect.Value, path string) *fieldErr {
	if v.Type().Implements(checkerType) {
		if fe := v.Interface().(checker).check(path); fe != nil {
			return fe
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return validate(v.Elem(), path)
	case reflect.Struct:
		si := infoFor(v.Type())
		for i := range si.fields {
			f := &si.fields[i]
			fv := v.FieldByIndex(f.index)
			fpath := join(path, f.name)
			if fe := checkField(f, fv, fpath); fe != nil {
				return fe
			}
			if fe := validate(fv, fpath); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if fe := validate(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			kpath := fmt.Sprintf("%s[%v]", path, iter.Key().Interface())
			if fe := checkEnum(iter.Key(), kpath); fe != nil {
				return fe
			}
			if fe := validate(iter.Value(), kpath); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.String:
		return checkEnum(v, path)
	}
	return nil
}

// checker is implemented by types with rules that tags cannot express.
type checker interface {
	check(path string) *fieldErr
}

var checkerType = reflect.TypeFor[checker]()

func checkEnum(v reflect.Value, path string) *fieldErr {
	if v.Kind() != reflect.String {
		return nil
	}
	if !v.Type().Implements(enumType) {
		return nil
	}
	e := v.Interface().(enum)
	if c, ok := e.canonical(v.String()); !ok || c != v.String() {
		return &fieldErr{path: path, err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", v.Type().Name(), v.String())}
	}
	return nil
}

func checkField(f *fieldInfo, v reflect.Value, path string) *fieldErr {
	switch f.idKind {
	case "client":
		if v.Uint() == 0 {
			return &fieldErr{path: path, err: ErrInvalidID, detail: "client message ids are 1..4294967295; 0 is reserved for server events"}
		}
	case "system":
		if v.Uint() != 0 {
			return &fieldErr{path: path, err: ErrInvalidID, detail: fmt.Sprintf("server events use Id 0, got %d", v.Uint())}
		}
	}
	if f.minItems > 0 && (v.Kind() == reflect.Slice) && v.Len() < f.minItems {
		// An absent optional slice is allowed; a present empty one is not.
		if f.required || !v.IsNil() {
			return &fieldErr{path: path, err: ErrOutOfRange, detail: fmt.Sprintf("needs at least %d item(s)", f.minItems)}
		}
	}
	if f.min == nil && f.max == nil {
		return nil
	}
	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			if fe := checkBounds(f, v.Index(i), fmt.Sprintf("%s[%d]", path, i)); fe != nil {
				return fe
			}
		}
		return nil
	}
	if !f.required && v.IsZero() {
		return nil // absent optional field
	}
	return checkBounds(f, v, path)
}

func checkBounds(f *fieldInfo, v reflect.Value, path string) *fieldErr {
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
		return &fieldErr{path: path, err: ErrOutOfRange, detail: fmt.Sprintf("%v not in [%s, %s]", x, lo, hi)}
	}
	return nil
}
