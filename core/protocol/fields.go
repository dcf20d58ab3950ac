package protocol

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Message structs are described by struct tags, read once per type:
//
//	json:"Name"            required field
//	json:"Name,omitempty"  optional field
//	bp:"alias=Other"       also accept the key Other when reading (read by
//	                       the type's unmarshaler in body.go)
//	bp:"id=client"         Id rule: client (1..max), server (0..max), system (0)
//	bp:"min=N,max=N"       numeric bounds (for slices, of each element)
//	bp:"minitems=N"        minimum slice length
//
// The shape check (body.go) and the validator (validate.go) are both driven
// by them, so what one accepts the other checks the same way.

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

func isIntegerSyntax(s string) bool {
	return !strings.ContainsAny(s, ".eE")
}

// parseUint reads an unsigned integer the way the schema wants it: a number
// with a fraction or exponent is the wrong type, a negative one out of range.
func parseUint(s string, bits int) (uint64, *fieldErr) {
	if !isIntegerSyntax(s) {
		return 0, &fieldErr{err: ErrWrongType, detail: "expected integer, got " + s}
	}
	if strings.HasPrefix(s, "-") {
		return 0, &fieldErr{err: ErrOutOfRange, detail: s + " is negative"}
	}
	u, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, &fieldErr{err: ErrOutOfRange, detail: fmt.Sprintf("%s does not fit %d bits", s, bits)}
	}
	return u, nil
}

// parseInt is parseUint for signed integers.
func parseInt(s string, bits int) (int64, *fieldErr) {
	if !isIntegerSyntax(s) {
		return 0, &fieldErr{err: ErrWrongType, detail: "expected integer, got " + s}
	}
	i, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, &fieldErr{err: ErrOutOfRange, detail: fmt.Sprintf("%s does not fit a signed %d-bit integer", s, bits)}
	}
	return i, nil
}
