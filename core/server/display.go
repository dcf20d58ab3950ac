package server

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DisplayMax is how many runes of a client's name DisplayName keeps.
const DisplayMax = 64

// DisplayName is a client's self-chosen name made fit for a log line or a
// terminal: at most DisplayMax runes (an ellipsis marks the cut), control
// characters and bytes that are not UTF-8 escaped as in Go source. A client
// picks its name freely, so a megabyte of it, or escape sequences that
// repaint the terminal, must not reach the screen as they are.
func DisplayName(name string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(name); {
		if n == DisplayMax {
			b.WriteString("…")
			break
		}
		r, size := utf8.DecodeRuneInString(name[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, name[i])
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := fmt.Sprintf("%+q", r) // '\x1b', '\n', '\u2028'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
		n++
	}
	return b.String()
}
