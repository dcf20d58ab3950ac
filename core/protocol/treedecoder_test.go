package protocol

// The tree decoder that the streaming decoder replaced, kept here as the
// reference the differential tests and benchmarks compare against. It is
// the old code (SplitFrame, DecodeEnvelope, DetectVersion, the reflective
// walker, the custom decodeTree methods and validate) with identifiers
// renamed and one addition: object and map iteration goes through the
// tree's order table. With no table (plain) it ranges over Go maps as the
// old code did, so its errors can depend on map order when a message has
// more than one problem. With the table built by orderedTree, objects are
// visited in document order of each key's last occurrence and validated
// maps in key order: one of the old code's possible orders, and the one the
// new decoder follows, so the two must agree exactly.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

type treeErr struct {
	path   string
	err    error
	detail string
}

// treeDecoder is implemented by types whose JSON shape is not a plain struct.
type treeDecoder interface {
	decodeTree(w *treeWalker, tree any, path string) *treeErr
}

type treeWalker struct {
	lenient bool
	order   map[unsafe.Pointer][]string // nil: Go map order
}

// members ranges over an object's keys in the walker's order.
func (w *treeWalker) members(obj map[string]any) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if w.order == nil {
			for k, v := range obj {
				if !yield(k, v) {
					return
				}
			}
			return
		}
		for _, k := range w.order[reflect.ValueOf(obj).UnsafePointer()] {
			if !yield(k, obj[k]) {
				return
			}
		}
	}
}

// treeEnvelope is the old Envelope: the body is a parsed tree.
type treeEnvelope struct {
	Index int
	Name  string
	ID    uint32
	HasID bool
	body  any
	order map[unsafe.Pointer][]string
}

// orderedTree parses a frame encoding/json has accepted into the same tree
// Decode gives, and records for every object its keys in the order of
// their last occurrence.
func orderedTree(frame []byte) (any, map[unsafe.Pointer][]string) {
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.UseNumber()
	order := map[unsafe.Pointer][]string{}
	var build func() any
	build = func() any {
		tok, _ := dec.Token()
		d, ok := tok.(json.Delim)
		if !ok {
			return tok
		}
		if d == '[' {
			arr := []any{}
			for dec.More() {
				arr = append(arr, build())
			}
			dec.Token()
			return arr
		}
		obj := map[string]any{}
		var keys []string
		for dec.More() {
			k, _ := dec.Token()
			obj[k.(string)] = build()
			keys = append(keys, k.(string))
		}
		dec.Token()
		var last []string
		for i, k := range keys {
			if !slices.Contains(keys[i+1:], k) {
				last = append(last, k)
			}
		}
		order[reflect.ValueOf(obj).UnsafePointer()] = last
		return obj
	}
	return build(), order
}

func treeSplitFrame(frame []byte, maxSize int, ordered bool) ([]treeEnvelope, error) {
	if err := checkFrameSize(frame, maxSize); err != nil {
		return nil, err
	}
	ferr := func(err error, detail string) error {
		return &DecodeError{Index: -1, Err: err, Detail: detail}
	}
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ferr(ErrMalformedJSON, "empty frame")
		}
		return nil, ferr(ErrMalformedJSON, err.Error())
	}
	if rest := bytes.TrimLeft(frame[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, ferr(ErrTrailingData, fmt.Sprintf("%d bytes after the array", len(rest)))
	}
	var order map[unsafe.Pointer][]string
	if ordered {
		tree, order = orderedTree(frame[:dec.InputOffset()])
	}
	arr, ok := tree.([]any)
	if !ok {
		return nil, ferr(ErrNotArray, "got "+treeKind(tree))
	}
	if len(arr) == 0 {
		return nil, ferr(ErrEmptyFrame, "")
	}
	envs := make([]treeEnvelope, len(arr))
	for i, item := range arr {
		obj, ok := item.(map[string]any)
		if !ok || len(obj) != 1 {
			detail := "got " + treeKind(item)
			if ok {
				detail = fmt.Sprintf("object has %d keys", len(obj))
			}
			return nil, &DecodeError{Index: i, Err: ErrNotObject, Detail: detail}
		}
		e := treeEnvelope{Index: i, order: order}
		for k, v := range obj {
			e.Name, e.body = k, v
		}
		if body, ok := e.body.(map[string]any); ok {
			if n, ok := body["Id"].(json.Number); ok {
				if id, err := strconv.ParseUint(string(n), 10, 32); err == nil {
					e.ID, e.HasID = uint32(id), true
				}
			}
		}
		envs[i] = e
	}
	return envs, nil
}

func treeDecode(d *Decoder, frame []byte, ordered bool) ([]Message, error) {
	envs, err := treeSplitFrame(frame, d.limit, ordered)
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(envs))
	for i := range envs {
		m, err := treeDecodeEnvelope(d, &envs[i])
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func treeDecodeEnvelope(d *Decoder, e *treeEnvelope) (Message, error) {
	fail := func(err error, field, detail string) error {
		return &DecodeError{Index: e.Index, Message: e.Name, ID: e.ID, HasID: e.HasID, Field: field, Err: err, Detail: detail}
	}
	reg := registry[e.Name]
	if reg == nil {
		return nil, fail(ErrUnknownMessage, "", strconv.Quote(e.Name))
	}
	if !d.Version.Valid() || reg[d.Version] == nil {
		return nil, fail(ErrWrongVersion, "", fmt.Sprintf("%s is not a spec %s message", e.Name, d.Version))
	}
	m := reg[d.Version]()
	w := treeWalker{lenient: d.Lenient, order: e.order}
	if fe := w.decode(e.body, ptrValue(m), ""); fe != nil {
		return nil, fail(fe.err, fe.path, fe.detail)
	}
	if fe := treeValidate(ptrValue(m), "", e.order != nil); fe != nil {
		return nil, fail(fe.err, fe.path, fe.detail)
	}
	return m, nil
}

func treeDetectVersion(e *treeEnvelope) (Version, error) {
	fail := func(err error, field, detail string) error {
		return &DecodeError{Index: e.Index, Message: e.Name, ID: e.ID, HasID: e.HasID, Field: field, Err: err, Detail: detail}
	}
	if e.Name != "RequestServerInfo" {
		return 0, fail(ErrWrongVersion, "", "the first message must be RequestServerInfo, got "+strconv.Quote(e.Name))
	}
	body, ok := e.body.(map[string]any)
	if !ok {
		return 0, fail(ErrWrongType, "", "expected object, got "+treeKind(e.body))
	}
	for _, field := range []string{"ProtocolVersionMajor", "MessageVersion"} {
		raw, present := body[field]
		if !present {
			continue
		}
		n, ok := raw.(json.Number)
		if !ok {
			return 0, fail(ErrWrongType, field, "expected integer, got "+treeKind(raw))
		}
		v, err := strconv.ParseUint(string(n), 10, 32)
		if err != nil {
			return 0, fail(ErrOutOfRange, field, string(n))
		}
		if detail := versionMismatch(field, v); detail != "" {
			return Version(v), fail(ErrWrongVersion, field, detail)
		}
		return Version(v), nil
	}
	return Version0, nil
}

func treeKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// treeAt gives a path-less error from the shared helpers its path.
func treeAt(fe *fieldErr, path string) *treeErr {
	if fe == nil {
		return nil
	}
	return &treeErr{path: path + fe.path(), err: fe.err, detail: fe.detail}
}

func treeParseUint(s string, bits int, path string) (uint64, *treeErr) {
	u, fe := parseUint(s, bits)
	return u, treeAt(fe, path)
}

func treeParseInt(s string, bits int, path string) (int64, *treeErr) {
	i, fe := parseInt(s, bits)
	return i, treeAt(fe, path)
}

func (w *treeWalker) decode(tree any, v reflect.Value, path string) *treeErr {
	if v.CanAddr() {
		if td, ok := v.Addr().Interface().(treeDecoder); ok {
			return td.decodeTree(w, tree, path)
		}
	}
	wrongType := func(want string) *treeErr {
		return &treeErr{path: path, err: ErrWrongType, detail: "expected " + want + ", got " + treeKind(tree)}
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
			return &treeErr{path: path, err: ErrWrongType, detail: fmt.Sprintf("expected %d items, got %d", v.Len(), len(arr))}
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
				return &treeErr{path: path, err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", v.Type().Name(), s)}
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
		u, fe := treeParseUint(string(n), v.Type().Bits(), path)
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
		i, fe := treeParseInt(string(n), v.Type().Bits(), path)
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
			return &treeErr{path: path, err: ErrOutOfRange, detail: string(n)}
		}
		v.SetFloat(f)
		return nil
	}
	return &treeErr{path: path, err: ErrWrongType, detail: "unsupported Go type " + v.Type().String()}
}

func (w *treeWalker) decodeStruct(obj map[string]any, v reflect.Value, path string) *treeErr {
	si := infoFor(v.Type())
	var seen uint64 // bit i set when field i was present; messages have < 64 fields
	var unknown []string
	for key, val := range w.members(obj) {
		i, ok := si.byKey[key]
		if !ok {
			if !w.lenient {
				unknown = append(unknown, key)
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return &treeErr{path: join(path, si.fields[i].name), err: ErrWrongType, detail: "field given twice (under an alias)"}
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
		return &treeErr{path: join(path, unknown[0]), err: ErrUnknownField, detail: fmt.Sprintf("%d unknown field(s): %s", len(unknown), strings.Join(unknown, ", "))}
	}
	for i, f := range si.fields {
		if f.required && seen&(1<<i) == 0 {
			return &treeErr{path: join(path, f.name), err: ErrMissingField}
		}
	}
	return nil
}

func (w *treeWalker) decodeMap(obj map[string]any, v reflect.Value, path string) *treeErr {
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
					return &treeErr{path: kpath, err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", t.Key().Name(), k)}
				}
				key.SetString(c)
			} else {
				key.SetString(k)
			}
		case reflect.Uint32:
			u, fe := treeParseUint(k, 32, kpath)
			if fe != nil {
				fe.detail = "map key: " + fe.detail
				return fe
			}
			key.SetUint(u)
		default:
			return &treeErr{path: kpath, err: ErrWrongType, detail: "unsupported map key type"}
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

// singleKey returns the only key and value of a one-key JSON object.
func treeSingleKey(tree any, path string) (string, map[string]any, *treeErr) {
	obj, ok := tree.(map[string]any)
	if !ok {
		return "", nil, &treeErr{path: path, err: ErrWrongType, detail: "expected object, got " + treeKind(tree)}
	}
	if len(obj) != 1 {
		return "", nil, &treeErr{path: path, err: ErrWrongType, detail: fmt.Sprintf("expected exactly one key, got %d", len(obj))}
	}
	for k, v := range obj {
		body, ok := v.(map[string]any)
		if !ok {
			return "", nil, &treeErr{path: join(path, k), err: ErrWrongType, detail: "expected object, got " + treeKind(v)}
		}
		return k, body, nil
	}
	panic("unreachable")
}

// decodeFields fills the listed fields of body; required ones must be present
// and, unless lenient, no other key may be.
func (w *treeWalker) decodeFields(body map[string]any, path string, fields map[string]any, required ...string) *treeErr {
	for k, v := range w.members(body) {
		dst, ok := fields[k]
		if !ok {
			if w.lenient {
				continue
			}
			return &treeErr{path: join(path, k), err: ErrUnknownField}
		}
		if fe := w.decode(v, ptrValue(dst), join(path, k)); fe != nil {
			return fe
		}
	}
	for _, r := range required {
		if _, ok := body[r]; !ok {
			return &treeErr{path: join(path, r), err: ErrMissingField}
		}
	}
	return nil
}

func (c *OutputCommand) decodeTree(w *treeWalker, tree any, path string) *treeErr {
	k, body, fe := treeSingleKey(tree, path)
	if fe != nil {
		return fe
	}
	t, err := ParseOutputType(k)
	if err != nil {
		return &treeErr{path: join(path, k), err: ErrInvalidEnum, detail: fmt.Sprintf("OutputType %q", k)}
	}
	*c = OutputCommand{Type: t}
	p := join(path, k)
	if t == OutputHwPositionWithDuration {
		var v uint32
		if fe := w.decodeFields(body, p, map[string]any{"Value": &v, "Duration": &c.Duration}, "Value", "Duration"); fe != nil {
			return fe
		}
		if v > 1<<31-1 {
			return &treeErr{path: join(p, "Value"), err: ErrOutOfRange, detail: strconv.FormatUint(uint64(v), 10)}
		}
		c.Value = int32(v)
		return nil
	}
	return w.decodeFields(body, p, map[string]any{"Value": &c.Value}, "Value")
}

func (r *InputValue) decodeTree(w *treeWalker, tree any, path string) *treeErr {
	k, body, fe := treeSingleKey(tree, path)
	if fe != nil {
		return fe
	}
	t, err := ParseInputType(k)
	if err != nil {
		return &treeErr{path: join(path, k), err: ErrInvalidEnum, detail: fmt.Sprintf("InputType %q", k)}
	}
	*r = InputValue{Type: t}
	return w.decodeFields(body, join(path, k), map[string]any{"Value": &r.Value}, "Value")
}

func (l *RangeList) decodeTree(w *treeWalker, tree any, path string) *treeErr {
	arr, ok := tree.([]any)
	if !ok {
		return &treeErr{path: path, err: ErrWrongType, detail: "expected array, got " + treeKind(tree)}
	}
	if len(arr) > 0 {
		if _, flat := arr[0].(json.Number); flat {
			// [min,max] written without the outer list.
			var r Range
			if fe := w.decode(tree, ptrValue(&r), path); fe != nil {
				return fe
			}
			*l = RangeList{r}
			return nil
		}
	}
	out := make(RangeList, len(arr))
	for i, item := range arr {
		if fe := w.decode(item, ptrValue(&out[i]), fmt.Sprintf("%s[%d]", path, i)); fe != nil {
			return fe
		}
	}
	*l = out
	return nil
}

func (b *ByteArray) decodeTree(w *treeWalker, tree any, path string) *treeErr {
	var ints []uint8
	if fe := w.decode(tree, ptrValue(&ints), path); fe != nil {
		return fe
	}
	*b = ByteArray(ints)
	return nil
}

// treeValidate is the old validate. sorted takes map entries in key order
// (as the new validate reports them) rather than Go map order. The rule
// checks themselves are shared with the new code (checkField, the types'
// check methods), as are parseUint, parseInt, checkFrameSize and
// versionMismatch: their logic did not change, only where paths are built.
func treeValidate(v reflect.Value, path string, sorted bool) *treeErr {
	if v.Type().Implements(checkerType) {
		if fe := v.Interface().(checker).check(); fe != nil {
			return treeAt(fe, path)
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return treeValidate(v.Elem(), path, sorted)
	case reflect.Struct:
		si := infoFor(v.Type())
		for i := range si.fields {
			f := &si.fields[i]
			fv := v.FieldByIndex(f.index)
			fpath := join(path, f.name)
			if fe := treeAt(checkField(f, fv), fpath); fe != nil {
				return fe
			}
			if fe := treeValidate(fv, fpath, sorted); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if fe := treeValidate(v.Index(i), fmt.Sprintf("%s[%d]", path, i), sorted); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.Map:
		iter := v.MapRange()
		var keys []reflect.Value
		if sorted {
			keys = v.MapKeys()
			slices.SortFunc(keys, compareKeys)
		}
		for i := 0; ; i++ {
			var k, val reflect.Value
			if sorted {
				if i == len(keys) {
					break
				}
				k, val = keys[i], v.MapIndex(keys[i])
			} else {
				if !iter.Next() {
					break
				}
				k, val = iter.Key(), iter.Value()
			}
			kpath := fmt.Sprintf("%s[%v]", path, k.Interface())
			if fe := treeCheckEnum(k, kpath); fe != nil {
				return fe
			}
			if fe := treeValidate(val, kpath, sorted); fe != nil {
				return fe
			}
		}
		return nil
	case reflect.String:
		return treeCheckEnum(v, path)
	}
	return nil
}

func treeCheckEnum(v reflect.Value, path string) *treeErr {
	if v.Kind() != reflect.String {
		return nil
	}
	if !v.Type().Implements(enumType) {
		return nil
	}
	e := v.Interface().(enum)
	if c, ok := e.canonical(v.String()); !ok || c != v.String() {
		return &treeErr{path: path, err: ErrInvalidEnum, detail: fmt.Sprintf("%s %q", v.Type().Name(), v.String())}
	}
	return nil
}
