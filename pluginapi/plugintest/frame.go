package plugintest

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Frame returns the i-th test frame of a sender tag: a compact JSON array,
// as Buttplug frames are (no raw newline, so line-framed transports carry
// it), of size bytes where size allows, padded with a pattern that depends
// on i so that a frame altered on the way is noticed.
func Frame(tag string, i, size int) []byte {
	prefix := `[{"Test":{"Tag":` + strconv.Quote(tag) + `,"N":` + strconv.Itoa(i) + `,"Pad":"`
	const suffix = `"}}]`
	pad := max(size-len(prefix)-len(suffix), 0)
	f := make([]byte, 0, len(prefix)+pad+len(suffix))
	f = append(f, prefix...)
	for j := range pad {
		f = append(f, byte('a'+(i+j)%26))
	}
	return append(f, suffix...)
}

// ParseFrame returns the tag and number of a frame made by Frame.
func ParseFrame(f []byte) (tag string, i int, err error) {
	var msg []struct {
		Test *struct {
			Tag string
			N   int
		}
	}
	if err := json.Unmarshal(f, &msg); err != nil {
		return "", 0, fmt.Errorf("not a test frame: %w", err)
	}
	if len(msg) != 1 || msg[0].Test == nil {
		return "", 0, fmt.Errorf("not a test frame")
	}
	return msg[0].Test.Tag, msg[0].Test.N, nil
}
