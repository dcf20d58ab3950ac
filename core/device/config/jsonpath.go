package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

// doc is a parsed JSON document walked with paths, so every error says where
// it is. strict rejects object keys the format does not have.
type doc struct {
	file   string
	strict bool
}

// node is one JSON value and its path.
type node struct {
	d    *doc
	path string
	v    any
}

func parseDoc(file string, data []byte, strict bool) (node, error) {
	d := &doc{file: file, strict: strict}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return node{}, &Error{File: file, Path: syntaxPos(data, err), Msg: syntaxMsg(err)}
	}
	if dec.More() {
		off := dec.InputOffset()
		return node{}, &Error{File: file, Path: lineCol(data, off), Msg: "unexpected data after the JSON document"}
	}
	return node{d: d, path: "$", v: v}, nil
}

func syntaxPos(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return lineCol(data, se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return lineCol(data, int64(len(data)))
	}
	return "$"
}

func syntaxMsg(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input (is the file empty or truncated?)"
	}
	return "invalid JSON: " + err.Error()
}

func lineCol(data []byte, off int64) string {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func (n node) key(k string) node {
	p := n.path + "." + k
	if !plainKey.MatchString(k) {
		p = n.path + "[" + strconv.Quote(k) + "]"
	}
	return node{d: n.d, path: p}
}

func (n node) errf(format string, args ...any) error {
	return &Error{File: n.d.file, Path: n.path, Msg: fmt.Sprintf(format, args...)}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// object checks n is an object whose keys are all in allowed (when strict)
// and returns an accessor.
func (n node) object(allowed ...string) (obj, error) {
	m, ok := n.v.(map[string]any)
	if !ok {
		return obj{}, n.errf("expected an object, got %s", typeName(n.v))
	}
	if n.d.strict && allowed != nil {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !contains(allowed, k) {
				return obj{}, n.key(k).errf("unknown field %q (expected one of %s)", k, strings.Join(allowed, ", "))
			}
		}
	}
	return obj{n: n, m: m}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// obj is an object node.
type obj struct {
	n node
	m map[string]any
}

// get returns the member k and whether it is present and not null.
func (o obj) get(k string) (node, bool) {
	v, ok := o.m[k]
	c := o.n.key(k)
	c.v = v
	return c, ok && v != nil
}

// need returns the member k or an error naming it as missing.
func (o obj) need(k string) (node, error) {
	c, ok := o.get(k)
	if !ok {
		return c, o.n.errf("missing required field %q", k)
	}
	return c, nil
}

// keys returns the member names, sorted.
func (o obj) keys() []string {
	ks := make([]string, 0, len(o.m))
	for k := range o.m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (n node) array() ([]node, error) {
	a, ok := n.v.([]any)
	if !ok {
		return nil, n.errf("expected an array, got %s", typeName(n.v))
	}
	out := make([]node, len(a))
	for i, v := range a {
		out[i] = node{d: n.d, path: fmt.Sprintf("%s[%d]", n.path, i), v: v}
	}
	return out, nil
}

func (n node) str() (string, error) {
	s, ok := n.v.(string)
	if !ok {
		return "", n.errf("expected a string, got %s", typeName(n.v))
	}
	return s, nil
}

func (n node) boolean() (bool, error) {
	b, ok := n.v.(bool)
	if !ok {
		return false, n.errf("expected true or false, got %s", typeName(n.v))
	}
	return b, nil
}

// integer returns an integer within [lo, hi].
func (n node) integer(lo, hi int64) (int64, error) {
	num, ok := n.v.(json.Number)
	if !ok {
		return 0, n.errf("expected an integer, got %s", typeName(n.v))
	}
	i, err := num.Int64()
	if err != nil {
		f, ferr := num.Float64()
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, n.errf("expected an integer, got %s", num.String())
		}
		i = int64(f)
	}
	if i < lo || i > hi {
		return 0, n.errf("value %d is out of range [%d, %d]", i, lo, hi)
	}
	return i, nil
}

func (n node) u32() (uint32, error) {
	i, err := n.integer(0, math.MaxUint32)
	return uint32(i), err
}

func (n node) strings() ([]string, error) {
	items, err := n.array()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := it.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (n node) uuid() (string, error) {
	s, err := n.str()
	if err != nil {
		return "", err
	}
	if !uuidRe.MatchString(s) {
		return "", n.errf("expected a UUID like 00000000-0000-0000-0000-000000000000, got %q", s)
	}
	return strings.ToLower(s), nil
}

// pair reads [a, b] with lo <= a <= b <= hi.
func (n node) pair(lo, hi int64) ([2]int32, error) {
	items, err := n.array()
	if err != nil {
		return [2]int32{}, err
	}
	if len(items) != 2 {
		return [2]int32{}, n.errf("expected a [min, max] pair, got %d elements", len(items))
	}
	a, err := items[0].integer(lo, hi)
	if err != nil {
		return [2]int32{}, err
	}
	b, err := items[1].integer(lo, hi)
	if err != nil {
		return [2]int32{}, err
	}
	if a > b {
		return [2]int32{}, n.errf("range [%d, %d] has its minimum above its maximum", a, b)
	}
	return [2]int32{int32(a), int32(b)}, nil
}
