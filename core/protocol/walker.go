package protocol

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The decoder fills message structs from the parsed JSON tree by reflection,
// driven by struct tags:
//
//	json:"Name"            required field
//	json:"Name,omitempty"  optional field
//	bp:"alias=Other"       also accept the key Other when reading
//	bp:"id=client"         Id rule: client (1..max), server (0..max), system (0)
//	bp:"min=N,max=N"       numeric bounds (for slices, of each element)
//	bp:"minitems=N"        minimum slice length
//
// Walking the tree once gives precise field paths in errors, which
// encoding/json cannot (it has no notion of a required field).

type fieldErr struct {
	path   string
	err    error
	detail string
}

// treeDecoder is implemented by types whose JSON shape is not a plain struct.
type treeDecoder interface {
	decodeTree(w *walker, tree any, path string) *fieldErr
}

type walker struct {
	lenient bool
}

type fieldInfo struct {
	name     string
	aliases  []string
	index    []int
	required bool
	idKind   string
	min, max *float64
	minItems int
}

type structInfo struct {
	fields []fieldInfo
	byKey  map[string]int
}

var structInfos sync.Map // reflect.Type -> *structInfo

func infoFor(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byKey: map[string]int{}}
	collectFields(t, nil, si)
	actual, _ := structInfos.LoadOrStore(t, si)
	return actual.(*structInfo)
}

func collectFields(t reflect.Type, prefix []int, si *structInfo) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		index := append(slices.Clone(prefix), i)
		if sf.Anonymous && sf.Tag.Get("json") == "" && sf.Type.Kind() == reflect.Struct {
			collectFields(sf.Type, index, si)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		fi := fieldInfo{name: name, index: index, required: !strings.Contains(opts, "omitempty")}
		for _, kv := range strings.Split(sf.Tag.Get("bp"), ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "alias":
				fi.aliases = append(fi.aliases, v)
			case "id":
				fi.idKind = v
			case "min", "max":
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					panic("protocol: bad bp tag on " + t.Name() + "." + sf.Name) // programming error, caught by tests
				}
				if k == "min" {
					fi.min = &f
				} else {
					fi.max = &f
				}
			case "minitems":
				fi.minItems, _ = strconv.Atoi(v)
			}
		}
		si.byKey[name] = len(si.fields)
		for _, a := range fi.aliases {
			si.byKey[a] = len(si.fields)
		}
		si.fields = append(si.fields, fi)
	}
}

func ptrValue(m any) reflect.Value { return reflect.ValueOf(m).Elem() }

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

var enumType = reflect.TypeFor[enum]()

func (w *walker) decode(tree any, v reflect.Value, path string) *fieldErr {
	if v.CanAddr() {
		if td, ok := v.Addr().Interface().(treeDecoder); ok {
			return td.decodeTree(w, tree, path)
		}
	}
	wrongType := func(want string) *fieldErr {
		return &fieldErr{path: path, err: ErrWrongType, detail: "expected " + want + ", got " + jsonKind(tree)}
	}
	switch v.Kind() {
	case reflect.Struct:
		obj, ok := tree.(map[string]any)
		if !ok {
			return wrongType("object")
		}
		return w.decodeStruct(obj, v, path)
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if fe := w.decode(tree, nv.Elem(), path); fe != nil {
			return fe
		}
		v.Set(nv)
		return nil
	case reflect.Slice:
		arr, ok := tree.([]any)
		if !ok {
			return wrongType("array")
		}
		out := reflect.MakeSlice(v.Type(), 0, len(arr))
		elem := reflect.New(v.Type().Elem()).Elem()
		for i, item := range arr {
			elem.SetZero()
			if fe := w.decode(item, elem, fmt.Sprintf("%s[%d]", path, i)); fe != nil {
				if w.lenient && fe.err == ErrInvalidEnum && v.Type().Elem().Implements(enumType) {
					continue // a newer server's value this client does not know
				}
				return fe
			}
			out = reflect.Append(out, elem)
		}
		v.Set(out)
		return nil
	case reflect.Array:
		arr, ok := tree.([]any)
		if !ok {
			return wrongType("array")
		}
		if len(arr) != v.Len() {
			return &fieldErr{path: path, err: ErrWrongType, detail: fmt.Sprintf("expected %d items, got %d", v.Len(), len(arr))}
		}
		for i, item := range arr {
			if fe := w.decode(item, v.Index(i), fmt.Sprintf("%s[%d]", path, i)); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.Map:
		obj, ok := tree.(map[string]any)
		if !ok {
			return wrongType("object")
		}
		return w.decodeMap(obj, v, path)
	case reflect.String:
		s, ok := tree.(string)
		if !ok {
			return wrongType("string")
		}
		if e, ok := v.Interface().(enum); ok {
			c, ok := e.canonical(s)
			if !ok {
				return &fieldErr{path: path, err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", v.Type().Name(), s)}
			}
			s = c
		}
		v.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := tree.(bool)
		if !ok {
			return wrongType("boolean")
		}
		v.SetBool(b)
		return nil
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := tree.(json.Number)
		if !ok {
			return wrongType("integer")
		}
		u, fe := parseUint(string(n), v.Type().Bits(), path)
		if fe != nil {
			return fe
		}
		v.SetUint(u)
		return nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tree.(json.Number)
		if !ok {
			return wrongType("integer")
		}
		i, fe := parseInt(string(n), v.Type().Bits(), path)
		if fe != nil {
			return fe
		}
		v.SetInt(i)
		return nil
	case reflect.Float64:
		n, ok := tree.(json.Number)
		if !ok {
			return wrongType("number")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return &fieldErr{path: path, err: ErrOutOfRange, detail: string(n)}
		}
		v.SetFloat(f)
		return nil
	}
	return &fieldErr{path: path, err: ErrWrongType, detail: "unsupported Go type " + v.Type().String()}
}

func isIntegerSyntax(s string) bool {
	return !strings.ContainsAny(s, ".eE")
}

func parseUint(s string, bits int, path string) (uint64, *fieldErr) {
	if !isIntegerSyntax(s) {
		return 0, &fieldErr{path: path, err: ErrWrongType, detail: "expected integer, got " + s}
	}
	if strings.HasPrefix(s, "-") {
		return 0, &fieldErr{path: path, err: ErrOutOfRange, detail: s + " is negative"}
	}
	u, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, &fieldErr{path: path, err: ErrOutOfRange, detail: fmt.Sprintf("%s does not fit %d bits", s, bits)}
	}
	return u, nil
}

func parseInt(s string, bits int, path string) (int64, *fieldErr) {
	if !isIntegerSyntax(s) {
		return 0, &fieldErr{path: path, err: ErrWrongType, detail: "expected integer, got " + s}
	}
	i, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, &fieldErr{path: path, err: ErrOutOfRange, detail: fmt.Sprintf("%s does not fit a signed %d-bit integer", s, bits)}
	}
	return i, nil
}

func (w *walker) decodeStruct(obj map[string]any, v reflect.Value, path string) *fieldErr {
	si := infoFor(v.Type())
	var seen uint64 // bit i set when field i was present; messages have < 64 fields
	var unknown []string
	for key, val := range obj {
		i, ok := si.byKey[key]
		if !ok {
			if !w.lenient {
				unknown = append(unknown, key)
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return &fieldErr{path: join(path, si.fields[i].name), err: ErrWrongType, detail: "field given twice (under an alias)"}
		}
		seen |= 1 << i
		fv := v.FieldByIndex(si.fields[i].index)
		if fe := w.decode(val, fv, join(path, key)); fe != nil {
			return fe
		}
		// An optional empty list or object is written back as absent
		// (omitempty), so it decodes as absent too: one value, one encoding.
		// Lists with a minimum length stay empty so validation rejects them.
		if f := &si.fields[i]; !f.required && f.minItems == 0 && (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 {
			fv.SetZero()
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return &fieldErr{path: join(path, unknown[0]), err: ErrUnknownField, detail: fmt.Sprintf("%d unknown field(s): %s", len(unknown), strings.Join(unknown, ", "))}
	}
	for i, f := range si.fields {
		if f.required && seen&(1<<i) == 0 {
			return &fieldErr{path: join(path, f.name), err: ErrMissingField}
		}
	}
	return nil
}

func (w *walker) decodeMap(obj map[string]any, v reflect.Value, path string) *fieldErr {
	t := v.Type()
	out := reflect.MakeMapWithSize(t, len(obj))
	key := reflect.New(t.Key()).Elem()
	elem := reflect.New(t.Elem()).Elem()
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic errors
	for _, k := range keys {
		kpath := path + "[" + strconv.Quote(k) + "]"
		switch t.Key().Kind() {
		case reflect.String:
			if e, ok := key.Interface().(enum); ok {
				c, ok := e.canonical(k)
				if !ok {
					if w.lenient {
						continue
					}
					return &fieldErr{path: kpath, err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", t.Key().Name(), k)}
				}
				key.SetString(c)
			} else {
				key.SetString(k)
			}
		case reflect.Uint32:
			u, fe := parseUint(k, 32, kpath)
			if fe != nil {
				fe.detail = "map key: " + fe.detail
				return fe
			}
			key.SetUint(u)
		default:
			return &fieldErr{path: kpath, err: ErrWrongType, detail: "unsupported map key type"}
		}
		elem.SetZero()
		if fe := w.decode(obj[k], elem, kpath); fe != nil {
			return fe
		}
		out.SetMapIndex(key, elem)
	}
	v.Set(out)
	return nil
}
