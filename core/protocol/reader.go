package protocol

import (
	"bytes"
	"reflect"
	"unicode/utf16"
	"unicode/utf8"
)

// decState reads a message body that frameScan has already found to be
// valid JSON, so it only needs to find token boundaries. It still checks
// bounds everywhere: a wrong assumption must not become a panic.
type decState struct {
	b       []byte
	i       int
	lenient bool
	// slow is set while an object is decoded again in the old decoder's
	// order after the fast pass met an error or a repeated key.
	slow bool
	// temps are key and value holders for SetMapIndex, reused from map to
	// map: a reflect.New for each map was most of the decoder's allocations.
	temps []mapTemp
}

type mapTemp struct {
	t         reflect.Type
	key, elem reflect.Value
	busy      bool // in use by a map being decoded (maps nest)
}

// takeTemp returns the index of a free holder pair for map type t.
func (d *decState) takeTemp(t reflect.Type) int {
	for i := range d.temps {
		if tm := &d.temps[i]; !tm.busy && tm.t == t {
			tm.busy = true
			return i
		}
	}
	d.temps = append(d.temps, mapTemp{t: t, key: reflect.New(t.Key()).Elem(), elem: reflect.New(t.Elem()).Elem(), busy: true})
	return len(d.temps) - 1
}

func (d *decState) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decState) ws() {
	for d.i < len(d.b) && isSpace(d.b[d.i]) {
		d.i++
	}
}

// kind names the JSON type of the value at d.i.
func (d *decState) kind() string { return kindName(d.peek()) }

// enter moves past the opening bracket of the container at d.i and reports
// whether it has items; an empty one is passed entirely.
func (d *decState) enter() bool {
	d.i++
	d.ws()
	if c := d.peek(); c == ']' || c == '}' {
		d.i++
		return false
	}
	return true
}

// more moves past the separator after an item: true if another follows,
// false after the closing bracket.
func (d *decState) more() bool {
	d.ws()
	c := d.peek()
	d.i++
	if c == ',' {
		d.ws()
		return true
	}
	return false
}

// str reads the string at d.i and returns its decoded contents, which may
// point into the input.
func (d *decState) str() []byte {
	d.i++
	start, esc := d.i, false
	for d.i < len(d.b) {
		for d.i < len(d.b) && !decodeStop[d.b[d.i]] {
			d.i++
		}
		if d.i == len(d.b) {
			break
		}
		c := d.b[d.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			esc = true
			d.i += 2
			continue
		}
		if c >= utf8.RuneSelf {
			esc = true
		}
		d.i++
	}
	raw := d.b[start:min(d.i, len(d.b))]
	d.i++
	if esc {
		return unquote(raw)
	}
	return raw
}

// key reads a member name and its colon, leaving d.i at the value.
func (d *decState) key() []byte {
	k := d.str()
	d.ws()
	d.i++ // ':'
	d.ws()
	return k
}

// num returns the number literal at d.i and moves past it.
func (d *decState) num() []byte {
	start := d.i
	for d.i < len(d.b) && isNumByte(d.b[d.i]) {
		d.i++
	}
	return d.b[start:d.i]
}

func isNumByte(c byte) bool {
	return isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// skip moves past the value at d.i.
func (d *decState) skip() {
	switch d.peek() {
	case '"':
		d.skipStr()
	case '{', '[':
		depth := 0
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '"':
				d.skipStr()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					d.i++
					return
				}
			}
			d.i++
		}
	default: // number or literal
		for c := d.peek(); 'a' <= c && c <= 'z' || isNumByte(c); c = d.peek() {
			d.i++
		}
	}
}

func (d *decState) skipStr() {
	d.i++
	for d.i < len(d.b) {
		for d.i < len(d.b) && !skipStop[d.b[d.i]] {
			d.i++
		}
		if d.i >= len(d.b) {
			return
		}
		if d.b[d.i] == '"' {
			d.i++
			return
		}
		d.i += 2
	}
}

// count returns the number of items of the array at d.i, leaving d.i.
func (d *decState) count() int {
	start, n := d.i, 0
	if d.enter() {
		for {
			n++
			d.skip()
			if !d.more() {
				break
			}
		}
	}
	d.i = start
	return n
}

// unquote decodes the contents of a valid JSON string as encoding/json
// does: escapes resolved, and an unpaired surrogate or a byte that is not
// UTF-8 replaced by U+FFFD. Plain ASCII comes back as is.
func unquote(raw []byte) []byte {
	i := 0
	for i < len(raw) && raw[i] != '\\' && raw[i] < utf8.RuneSelf {
		i++
	}
	if i == len(raw) || bytes.IndexByte(raw[i:], '\\') < 0 && utf8.Valid(raw[i:]) {
		return raw
	}
	out := make([]byte, i, len(raw)+8)
	copy(out, raw[:i])
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw):
			i += 2
			switch e := raw[i-1]; e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(raw[i:])
				i += 4
				if utf16.IsSurrogate(r) {
					// A high surrogate pairs with a \u low surrogate right after.
					lo := rune(-1)
					if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						lo = hex4(raw[i+2:])
					}
					if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
						out = utf8.AppendRune(out, pair)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default: // '"', '\\', '/'
				out = append(out, e)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			out = utf8.AppendRune(out, r)
			i += size
		}
	}
	return out
}

// hex4 reads four hex digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// keyIs reports whether the raw key decodes to want.
func keyIs(raw []byte, want string) bool { return string(unquote(raw)) == want }

// digitsUint parses b as strconv.ParseUint(b, 10, bits) does, without
// allocating: ok is false where ParseUint would fail.
func digitsUint(b []byte, bits int) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	limit := uint64(1)<<bits - 1
	if bits == 64 {
		limit = ^uint64(0)
	}
	var n uint64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		dg := uint64(c - '0')
		if n > (limit-dg)/10 {
			return 0, false
		}
		n = n*10 + dg
	}
	return n, true
}

// digitsInt is digitsUint for an optionally negative integer, as
// strconv.ParseInt(b, 10, bits) with bits below 64.
func digitsInt(b []byte, bits int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := digitsUint(b, 64)
	max := uint64(1)<<(bits-1) - 1
	if neg {
		max++
	}
	if !ok || u > max {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}
