package protocol

// A frame is checked in one pass before any message in it is decoded, so a
// syntax error anywhere is reported as such, as encoding/json would. The pass
// accepts exactly what encoding/json accepts (same grammar, same nesting
// limit) and notes where each message's name and body are, and its Id.

// maxDepth is encoding/json's nesting limit; deeper frames are malformed.
const maxDepth = 10000

// frameScan checks JSON syntax. Methods return false on malformed input.
type frameScan struct {
	b     []byte
	i     int
	depth int
}

func isSpace(c byte) bool { return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n') }

// Byte classes for the string loops: stop at a quote, a backslash and, when
// checking, a control character; when decoding, also note non-ASCII bytes.
var (
	checkStop  = byteSet(func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 })
	decodeStop = byteSet(func(c byte) bool { return c == '"' || c == '\\' || c >= 0x80 })
	skipStop   = byteSet(func(c byte) bool { return c == '"' || c == '\\' })
)

func byteSet(in func(byte) bool) (set [256]bool) {
	for c := range 256 {
		set[c] = in(byte(c))
	}
	return set
}

func (s *frameScan) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// next reports whether a byte is left and returns it.
func (s *frameScan) next() (byte, bool) {
	if s.i < len(s.b) {
		return s.b[s.i], true
	}
	return 0, false
}

func (s *frameScan) push() bool {
	s.depth++
	return s.depth <= maxDepth
}

// value checks the value at s.i and moves past it.
func (s *frameScan) value() bool {
	c, ok := s.next()
	if !ok {
		return false
	}
	switch {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || isDigit(c):
		return s.number()
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (s *frameScan) lit(want string) bool {
	if len(s.b)-s.i < len(want) || string(s.b[s.i:s.i+len(want)]) != want {
		return false
	}
	s.i += len(want)
	return true
}

func (s *frameScan) digits() bool {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i > start
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *frameScan) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	c, ok := s.next()
	switch {
	case !ok:
		return false
	case c == '0':
		s.i++
	case isDigit(c):
		s.digits()
	default:
		return false
	}
	if c, ok := s.next(); ok && c == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c, ok := s.next(); ok && (c == 'e' || c == 'E') {
		s.i++
		if c, ok := s.next(); ok && (c == '+' || c == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// str checks the string at s.i and returns its raw contents (between the
// quotes, escapes untouched).
func (s *frameScan) str() ([]byte, bool) {
	s.i++ // opening quote
	start := s.i
	for s.i < len(s.b) {
		for s.i < len(s.b) && !checkStop[s.b[s.i]] {
			s.i++
		}
		if s.i == len(s.b) {
			break
		}
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c < 0x20:
			return nil, false
		case c == '\\':
			s.i++
			e, ok := s.next()
			if !ok {
				return nil, false
			}
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					h, ok := s.next()
					if !ok || !isHex(h) {
						return nil, false
					}
					s.i++
				}
			default:
				return nil, false
			}
		default:
			s.i++
		}
	}
	return nil, false
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// key checks a member name and its colon, leaving s.i at the value.
func (s *frameScan) key() ([]byte, bool) {
	if c, ok := s.next(); !ok || c != '"' {
		return nil, false
	}
	k, ok := s.str()
	if !ok {
		return nil, false
	}
	s.ws()
	if c, ok := s.next(); !ok || c != ':' {
		return nil, false
	}
	s.i++
	s.ws()
	return k, true
}

// more moves past the separator after a value: true before another item,
// false after the closing bracket close. ok is false on anything else.
func (s *frameScan) more(close byte) (more, ok bool) {
	s.ws()
	c, ok := s.next()
	if !ok {
		return false, false
	}
	s.i++
	switch c {
	case ',':
		s.ws()
		return true, true
	case close:
		s.depth--
		return false, true
	}
	return false, false
}

// open moves past an opening bracket and reports whether the container has
// items; on an empty one it moves past the closing bracket too.
func (s *frameScan) open(close byte) (items, ok bool) {
	if !s.push() {
		return false, false
	}
	s.i++
	s.ws()
	if c, ok := s.next(); ok && c == close {
		s.i++
		s.depth--
		return false, true
	}
	return true, true
}

func (s *frameScan) object() bool {
	items, ok := s.open('}')
	for ok && items {
		if _, ok = s.key(); ok && s.value() {
			items, ok = s.more('}')
		} else {
			ok = false
		}
	}
	return ok
}

func (s *frameScan) array() bool {
	items, ok := s.open(']')
	for ok && items {
		if ok = s.value(); ok {
			items, ok = s.more(']')
		}
	}
	return ok
}
