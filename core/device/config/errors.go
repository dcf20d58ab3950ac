package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// ErrInvalid is wrapped by every error about a malformed configuration file.
var ErrInvalid = errors.New("invalid device configuration")

// Error reports what is wrong where in a configuration file.
type Error struct {
	// File names the configuration (a path, or "built-in").
	File string
	// Path is a JSON path into the file, e.g.
	// $.user_configs.devices[0].config.features[1].output.vibrate.value.
	// For syntax errors it is the line and column.
	Path string
	// Msg says what is wrong.
	Msg string
}

// Error formats the error as "device config <file>: <path>: <msg>".
func (e *Error) Error() string {
	return fmt.Sprintf("device config %s: %s: %s", e.File, e.Path, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// path is a JSON path in the form errors show it: $.a.b[0]["odd key"].
type path string

// plainKey reports whether k can follow a dot: [A-Za-z_][A-Za-z0-9_-]*.
func plainKey(k string) bool {
	for i := range len(k) {
		c := k[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && (c == '-' || '0' <= c && c <= '9'):
		default:
			return false
		}
	}
	return k != ""
}

func (p path) key(k string) path {
	if !plainKey(k) {
		return p + path("["+strconv.Quote(k)+"]")
	}
	return p + path("."+k)
}

func (p path) index(i int) path { return p + path("["+strconv.Itoa(i)+"]") }

// file is one configuration file being checked: its name for errors, and
// whether members the format does not have are errors (user files) or
// ignored (base files, which newer releases may extend).
type file struct {
	name   string
	strict bool
}

func (f *file) errf(p path, format string, args ...any) error {
	return &Error{File: f.name, Path: string(p), Msg: fmt.Sprintf(format, args...)}
}

// decode unmarshals one whole document into v, the typed form of the
// file, and turns the library's errors into *Error with a path.
func (f *file) decode(data []byte, v any) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	if dec.PeekKind() == 'n' {
		// The library leaves v alone for a null document.
		return f.errf("$", "expected an object, got null")
	}
	if err := json.UnmarshalDecode(dec, v); err != nil {
		return f.decodeError(data, err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return &Error{File: f.name, Path: lineCol(data, dec.InputOffset()), Msg: "unexpected data after the JSON document"}
	}
	return nil
}

func (f *file) decodeError(data []byte, err error) error {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return f.errf(pointerPath(data, syn.JSONPointer), "field appears twice in the same object")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{File: f.name, Path: lineCol(data, int64(len(data))), Msg: "unexpected end of input (is the file empty or truncated?)"}
	case errors.As(err, &syn):
		return &Error{File: f.name, Path: lineCol(data, syn.ByteOffset), Msg: "invalid JSON: " + syn.Err.Error()}
	case errors.As(err, &sem) && sem.Err != nil:
		// A leaf type of this package (integer, UUID, map key...) said
		// what is wrong.
		return f.errf(pointerPath(data, sem.JSONPointer), "%s", sem.Err.Error())
	case errors.As(err, &sem):
		return f.errf(pointerPath(data, sem.JSONPointer), "expected %s, got %s", expectedName(sem.GoType), kindName(sem.JSONKind))
	}
	return &Error{File: f.name, Path: "$", Msg: err.Error()}
}

// pointerPath turns a JSON pointer into a path; it looks the pointer up in
// the document to tell array indexes from object keys such as "0". Only
// errors take this path, so decoding the document again is fine; the
// error may be a duplicate name, which the look-up must accept.
func pointerPath(data []byte, ptr jsontext.Pointer) path {
	var cur any
	_ = json.Unmarshal(data, &cur, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	p := path("$")
	for tok := range ptr.Tokens() {
		if a, ok := cur.([]any); ok {
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(a) {
				p, cur = p.index(i), a[i]
				continue
			}
		}
		m, _ := cur.(map[string]any)
		p, cur = p.key(tok), m[tok]
	}
	return p
}

func lineCol(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off + 1
	if i := bytes.LastIndexByte(data[:off], '\n'); i >= 0 {
		col = off - int64(i)
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '0':
		return "a number"
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "invalid JSON"
}

func expectedName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	return "an integer"
}

// unknownFields is embedded in every object type: the members the type
// does not have, for strict files to reject.
type unknownFields struct {
	Unknown map[string]jsontext.Value `json:",embed"`
}

// fields checks the members of the object v (a pointer to one of the file
// types) at p against names, the members this place in the file takes, in
// the order errors list them; a name ending in "!" is required. In a strict
// file, any other member (an unknown name, or a member of a shared type
// that this place does not take) is an error; names are checked in sorted
// order, so the error is stable. A member that is null counts as missing;
// v itself may not be null.
func (f *file) fields(p path, v any, names ...string) error {
	rv := reflect.ValueOf(v)
	if rv.IsNil() {
		return f.errf(p, "expected an object, got null")
	}
	rv = rv.Elem()
	var present []string
	for _, m := range membersOf(rv.Type()) {
		fv := rv.Field(m.index)
		switch {
		case m.unknown:
			for _, k := range fv.Field(0).MapKeys() {
				present = append(present, k.String())
			}
		case m.opt && fv.Field(0).Bool(), !m.opt && !fv.IsZero():
			present = append(present, m.name)
		}
	}
	allowed := make([]string, len(names))
	for i, n := range names {
		allowed[i] = strings.TrimSuffix(n, "!")
	}
	if f.strict {
		slices.Sort(present)
		for _, k := range present {
			if !slices.Contains(allowed, k) {
				return f.errf(p.key(k), "unknown field %q (expected one of %s)", k, strings.Join(allowed, ", "))
			}
		}
	}
	for i, n := range names {
		if strings.HasSuffix(n, "!") && !slices.Contains(present, allowed[i]) {
			return f.errf(p, "missing required field %q", allowed[i])
		}
	}
	return nil
}

// member is how fields finds one member in a file type's value.
type member struct {
	name    string
	index   int
	opt     bool // an opt[T], present when its first field (set) is true
	unknown bool // the embedded unknownFields
}

var members sync.Map // reflect.Type → []member

func membersOf(t reflect.Type) []member {
	if ms, ok := members.Load(t); ok {
		return ms.([]member)
	}
	var ms []member
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		ms = append(ms, member{name: name, index: i,
			opt:     sf.Type.Implements(reflect.TypeFor[interface{ present() bool }]()),
			unknown: sf.Type == reflect.TypeFor[unknownFields]()})
	}
	members.Store(t, ms)
	return ms
}
