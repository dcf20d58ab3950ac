package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// A message body is decoded in three steps:
//
//  1. json.Unmarshal reads it into the message struct (unknown members
//     refused unless lenient; the types of custom.go read themselves);
//  2. checkShape reads it again for what the library lets pass: a
//     required field left out, a null, a field given under two names;
//  3. normalize makes the value what encoding it back would give (an empty
//     optional list is absent; a lenient decoder drops enumeration values
//     it does not know), and validate checks the bp tag rules.

// unmarshalOptions are the library options of a strict and a lenient decoder.
var unmarshalOptions = [2]json.Options{newUnmarshalOptions(false), newUnmarshalOptions(true)}

func newUnmarshalOptions(lenient bool) json.Options {
	return json.JoinOptions(
		json.RejectUnknownMembers(!lenient),
		json.WithUnmarshalers(json.JoinUnmarshalers(
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, c *OutputCommand) error {
				return decodeOutputCommand(dec, c, lenient)
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, r *InputValue) error {
				return decodeInputValue(dec, r, lenient)
			}),
			json.UnmarshalFromFunc(decodeRangeList),
			json.UnmarshalFromFunc(decodeRange),
			json.UnmarshalFromFunc(decodeByteArray),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, f *Feature) error {
				// FeatureDescriptor is read as FeatureDescription.
				type plain Feature
				var w struct {
					plain
					FeatureDescriptor *string `json:"FeatureDescriptor"`
				}
				if err := json.UnmarshalDecode(dec, &w); err != nil {
					return err
				}
				*f = Feature(w.plain)
				if w.FeatureDescriptor != nil {
					f.FeatureDescription = *w.FeatureDescriptor
				}
				return nil
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *RawReadCmd) error {
				// ExpectedLength is read as Length.
				type plain RawReadCmd
				var w struct {
					plain
					ExpectedLength *uint32 `json:"ExpectedLength"`
				}
				if err := json.UnmarshalDecode(dec, &w); err != nil {
					return err
				}
				*m = RawReadCmd(w.plain)
				if w.ExpectedLength != nil {
					m.Length = *w.ExpectedLength
				}
				return nil
			}),
			decodeEnumMap[OutputType, OutputSpec](outputTypeNames, lenient),
			decodeEnumMap[InputType, InputSpec](inputTypeNames, lenient),
			decodeEnum[OutputType](outputTypeNames),
			decodeEnum[InputType](inputTypeNames),
			decodeEnum[InputCommandType](inputCommandNames),
			decodeEnum[ActuatorType](actuatorTypeNames),
			decodeEnum[SensorType](sensorTypeNames),
			decodeEnum[LogLevel](logLevelNames),
			decodeEnum[MessageNameV0](messageNamesV0),
		)),
	)
}

// decodeBody decodes the message body into m.
func decodeBody(body []byte, m Message, lenient bool) *fieldErr {
	v := ptrValue(m)
	opts := unmarshalOptions[0]
	if lenient {
		opts = unmarshalOptions[1]
	}
	if err := json.Unmarshal(body, m, opts); err != nil {
		return fromLibrary(err, v.Type())
	}
	if fe := checkShape(body, v.Type(), lenient); fe != nil {
		return fe
	}
	normalize(v, lenient)
	return validate(v)
}

// fromLibrary turns an error of json.Unmarshal into t into a *fieldErr
// with this package's sentinels and field path.
func fromLibrary(err error, t reflect.Type) *fieldErr {
	var pe *posErr
	if errors.As(err, &pe) {
		return prefixed(pe.fe, pe.ptr, t)
	}
	var se *json.SemanticError
	if !errors.As(err, &se) {
		return syntaxErr(err)
	}
	var fe *fieldErr
	if errors.As(se.Err, &fe) {
		return prefixed(fe, se.JSONPointer, t)
	}
	path, key := pointerPath(se.JSONPointer, t)
	fe = &fieldErr{err: ErrWrongType}
	switch k := kindOf(se.GoType); {
	case errors.Is(se.Err, json.ErrUnknownName):
		fe.err, fe.detail = ErrUnknownField, "1 unknown field(s): "+se.JSONPointer.LastToken()
	case key != nil && se.GoType == key:
		// A map key that is not an integer.
		var u uint64
		if u, fe = parseUint(se.JSONPointer.LastToken(), 32); fe == nil {
			fe = &fieldErr{err: ErrWrongType, detail: fmt.Sprintf("%d is not written canonically", u)}
		}
		fe.detail = "map key: " + fe.detail
	case se.JSONKind == '0' && (k == "unsigned" || k == "integer"):
		bits := se.GoType.Bits()
		if k == "unsigned" {
			_, fe = parseUint(string(se.JSONValue), bits)
		} else {
			_, fe = parseInt(string(se.JSONValue), bits)
		}
		if fe == nil {
			fe = &fieldErr{err: ErrOutOfRange, detail: string(se.JSONValue)}
		}
	case se.JSONKind == '0' && k == "number":
		fe.err, fe.detail = ErrOutOfRange, string(se.JSONValue)
	default:
		fe = wrongType(expected(se.GoType), se.JSONKind)
	}
	return fe.raw(path)
}

// prefixed puts the path of the JSON pointer ptr in front of fe's.
func prefixed(fe *fieldErr, ptr jsontext.Pointer, t reflect.Type) *fieldErr {
	path, _ := pointerPath(ptr, t)
	return fe.raw(path)
}

// pointerPath writes the JSON pointer ptr into a value of type t as a field
// path: Devices["0"].DeviceFeatures["1"].FeatureIndex. When the last step
// was into a map, it also returns the map's key type.
func pointerPath(ptr jsontext.Pointer, t reflect.Type) (path string, key reflect.Type) {
	var b strings.Builder
	for tok := range ptr.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		key = nil
		switch kind := reflectKind(t); kind {
		case reflect.Map:
			b.WriteString("[" + strconv.Quote(tok) + "]")
			key, t = t.Key(), t.Elem()
		case reflect.Slice, reflect.Array:
			b.WriteString("[" + tok + "]")
			t = t.Elem()
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			t = fieldType(t, tok)
		}
	}
	return b.String(), key
}

func reflectKind(t reflect.Type) reflect.Kind {
	if t == nil {
		return reflect.Invalid
	}
	return t.Kind()
}

// fieldType is the type of the field of struct t read from key, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	si := infoFor(t)
	i, ok := si.byKey[key]
	if !ok {
		return nil
	}
	return t.FieldByIndex(si.fields[i].index).Type
}

// kindOf sorts Go types as the schema does.
func kindOf(t reflect.Type) string {
	switch reflectKind(t) {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "unsigned"
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return ""
}

// expected names the JSON type a value of Go type t is read from.
func expected(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[OutputCommand](), reflect.TypeFor[InputValue]():
		return "object"
	}
	switch reflectKind(t) {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	if kindOf(t) == "number" {
		return "number"
	}
	return "integer"
}

func wrongType(want string, got jsontext.Kind) *fieldErr {
	return &fieldErr{err: ErrWrongType, detail: "expected " + want + ", got " + kindName(got)}
}

// checkShape reads body, which decoded into a value of type t, for what
// the library accepts and the schema does not: a required field that is
// absent, a null, one field under two of its names. A lenient decoder
// skips what it does not know.
func checkShape(body []byte, t reflect.Type, lenient bool) *fieldErr {
	sc := scanners.Get().(*scanner)
	defer scanners.Put(sc)
	sc.buf = *bytes.NewBuffer(body)
	sc.dec.Reset(&sc.buf)
	s := shape{dec: &sc.dec, lenient: lenient}
	return s.of(t)
}

// shape is one checkShape pass.
type shape struct {
	dec     *jsontext.Decoder
	lenient bool
}

// selfRead are the types whose unmarshalers check their own shape.
var selfRead = map[reflect.Type]bool{
	reflect.TypeFor[OutputCommand](): true, reflect.TypeFor[InputValue](): true,
	reflect.TypeFor[RangeList](): true, reflect.TypeFor[Range](): true, reflect.TypeFor[ByteArray](): true,
}

func (s *shape) of(t reflect.Type) *fieldErr {
	dec := s.dec
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	k := dec.PeekKind()
	if k == 'n' {
		return wrongType(expected(t), k)
	}
	if selfRead[t] {
		return skip(dec)
	}
	switch t.Kind() {
	case reflect.Struct:
		return s.structOf(t)
	case reflect.Map:
		if _, err := dec.ReadToken(); err != nil {
			return syntaxErr(err)
		}
		enumKey := s.lenient && t.Key().Implements(enumType)
		for dec.PeekKind() != '}' {
			name, err := dec.ReadValue()
			if err != nil {
				return syntaxErr(err)
			}
			if enumKey && !isKnown(reflect.ValueOf(string(unquote(name))).Convert(t.Key())) {
				if fe := skip(dec); fe != nil { // a newer server's output or input type
					return fe
				}
				continue
			}
			if fe := s.of(t.Elem()); fe != nil {
				return fe.raw("[" + strconv.Quote(string(unquote(name))) + "]")
			}
		}
	case reflect.Slice, reflect.Array:
		if _, err := dec.ReadToken(); err != nil {
			return syntaxErr(err)
		}
		for i := 0; dec.PeekKind() != ']'; i++ {
			if fe := s.of(t.Elem()); fe != nil {
				return fe.index(i)
			}
		}
	default:
		return skip(dec)
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(err)
	}
	return nil
}

func skip(dec *jsontext.Decoder) *fieldErr {
	if err := dec.SkipValue(); err != nil {
		return syntaxErr(err)
	}
	return nil
}

func (s *shape) structOf(t reflect.Type) *fieldErr {
	dec := s.dec
	si := infoFor(t)
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(err)
	}
	var seen uint64 // bit i set when field i was present; messages have < 64 fields
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return syntaxErr(err)
		}
		name := unquote(raw)
		i, ok := si.byKey[string(name)]
		if !ok { // an unknown field a lenient decoder ignores
			if fe := skip(dec); fe != nil {
				return fe
			}
			continue
		}
		f := &si.fields[i]
		if seen&(1<<i) != 0 {
			return (&fieldErr{err: ErrWrongType, detail: "field given twice (under an alias)"}).at(f.name)
		}
		seen |= 1 << i
		if fe := s.of(t.FieldByIndex(f.index).Type); fe != nil {
			return fe.at(string(name))
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(err)
	}
	for i := range si.fields {
		if f := &si.fields[i]; f.required && seen&(1<<i) == 0 {
			return (&fieldErr{err: ErrMissingField}).at(f.name)
		}
	}
	return nil
}

// normalize makes a decoded value what encoding it would write: an empty
// optional list or map is absent (omitempty writes it so). A lenient
// decoder also drops enumeration values it does not know from lists and map
// keys: a newer server's outputs and inputs this client cannot use.
func normalize(v reflect.Value, lenient bool) {
	if !needsNormalize(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			normalize(v.Elem(), lenient)
		}
	case reflect.Struct:
		si := infoFor(v.Type())
		for i := range si.fields {
			f := &si.fields[i]
			fv := v.FieldByIndex(f.index)
			normalize(fv, lenient)
			if k := fv.Kind(); !f.required && f.minItems == 0 && (k == reflect.Slice || k == reflect.Map) && fv.Len() == 0 {
				fv.SetZero()
			}
		}
	case reflect.Slice:
		if lenient && v.Type().Elem().Implements(enumType) {
			kept := 0
			for i := range v.Len() {
				if e := v.Index(i); isKnown(e) {
					v.Index(kept).Set(e)
					kept++
				}
			}
			v.SetLen(kept)
		}
		for i := range v.Len() {
			normalize(v.Index(i), lenient)
		}
	case reflect.Map:
		enumKey := lenient && v.Type().Key().Implements(enumType)
		for it := v.MapRange(); it.Next(); {
			if enumKey && !isKnown(it.Key()) {
				v.SetMapIndex(it.Key(), reflect.Value{})
				continue
			}
			if needsNormalize(v.Type().Elem()) {
				e := reflect.New(v.Type().Elem()).Elem()
				e.Set(it.Value())
				normalize(e, lenient)
				v.SetMapIndex(it.Key(), e)
			}
		}
	}
}

// isKnown reports whether the enumeration e holds a value its table knows.
func isKnown(e reflect.Value) bool {
	_, ok := e.Interface().(enum).canonical(e.String())
	return ok
}

var normalizeTypes sync.Map // reflect.Type -> bool

// needsNormalize reports whether a value of type t can hold a list or a map.
func needsNormalize(t reflect.Type) bool {
	if b, ok := normalizeTypes.Load(t); ok {
		return b.(bool)
	}
	b := holdsContainer(t, map[reflect.Type]bool{})
	normalizeTypes.Store(t, b)
	return b
}

func holdsContainer(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Slice, reflect.Map:
		return true
	case reflect.Pointer, reflect.Array:
		return holdsContainer(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsContainer(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
