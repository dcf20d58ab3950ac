package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// splitFrame checks frame and appends one Envelope per message to envs.
// The envelopes' bodies point into frame.
func splitFrame(frame []byte, maxSize int, envs []Envelope) ([]Envelope, error) {
	if err := checkFrameSize(frame, maxSize); err != nil {
		return nil, err
	}
	ferr := func(err error, detail string) error {
		return &DecodeError{Index: -1, Err: err, Detail: detail}
	}
	s := frameScan{b: frame}
	s.ws()
	first, ok := s.next()
	sp := splitState{fault: -1}
	if ok {
		if first == '[' {
			envs, ok = s.frameArray(envs, &sp)
		} else {
			ok = s.value()
		}
	}
	if !ok {
		return nil, ferr(ErrMalformedJSON, malformedDetail(frame))
	}
	s.ws()
	if rest := len(frame) - s.i; rest > 0 {
		return nil, ferr(ErrTrailingData, fmt.Sprintf("%d bytes after the array", rest))
	}
	switch {
	case first != '[':
		return nil, ferr(ErrNotArray, "got "+kindName(first))
	case sp.items == 0:
		return nil, ferr(ErrEmptyFrame, "")
	case sp.fault >= 0:
		return nil, &DecodeError{Index: sp.fault, Err: ErrNotObject, Detail: sp.detail}
	}
	return envs, nil
}

// checkFrameSize refuses a frame longer than maxSize (0: MaxFrameSize).
func checkFrameSize(frame []byte, maxSize int) error {
	if maxSize <= 0 {
		maxSize = MaxFrameSize
	}
	if len(frame) > maxSize {
		return &DecodeError{Index: -1, Err: ErrFrameTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", len(frame), maxSize)}
	}
	return nil
}

// malformedDetail says why encoding/json refuses frame, in its words, so the
// error reads as it always has. Only refused frames get here.
func malformedDetail(frame []byte) string {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.UseNumber()
	err := dec.Decode(&tree)
	switch {
	case errors.Is(err, io.EOF):
		return "empty frame"
	case err != nil:
		return err.Error()
	}
	return "invalid JSON"
}

// splitState is what the top-level array holds: its item count and the
// first item that is not a single-key object.
type splitState struct {
	items  int
	fault  int
	detail string
}

func (s *frameScan) frameArray(envs []Envelope, sp *splitState) ([]Envelope, bool) {
	items, ok := s.open(']')
	for ok && items {
		c, _ := s.next()
		switch {
		case sp.fault >= 0:
			ok = s.value()
		case c == '{':
			e := Envelope{Index: sp.items}
			var detail string
			if ok, detail = s.message(&e); ok && detail != "" {
				sp.fault, sp.detail = sp.items, detail
			} else if ok {
				envs = append(envs, e)
			}
		default:
			sp.fault, sp.detail = sp.items, "got "+kindName(c)
			ok = s.value()
		}
		sp.items++
		if ok {
			items, ok = s.more(']')
		}
	}
	return envs, ok
}

// message checks one message object and fills e; detail says why it is not
// a single-key object. As with encoding/json, a repeated key counts once and
// its last value wins.
func (s *frameScan) message(e *Envelope) (ok bool, detail string) {
	items, ok := s.open('}')
	if !ok {
		return false, ""
	}
	if !items {
		return true, "object has 0 keys"
	}
	var keys [][]byte // only when there is more than one
	var name, id []byte
	for n := 0; items; n++ {
		k, ok := s.key()
		if !ok {
			return false, ""
		}
		if n > 0 {
			if keys == nil {
				keys = append(keys, name)
			}
			keys = append(keys, k)
		}
		start := s.i
		id = nil
		if c, _ := s.next(); c == '{' {
			ok, id = s.body()
		} else {
			ok = s.value()
		}
		if !ok {
			return false, ""
		}
		name, e.body = k, s.b[start:s.i]
		if items, ok = s.more('}'); !ok {
			return false, ""
		}
	}
	if len(keys) > 1 {
		if n := distinctKeys(keys); n != 1 {
			return true, fmt.Sprintf("object has %d keys", n)
		}
	}
	e.Name = messageName(name)
	if id != nil {
		if u, ok := digitsUint(id, 32); ok {
			e.ID, e.HasID = uint32(u), true
		}
	}
	return true, ""
}

// body checks a message body object and returns the raw value of its last
// "Id" member, which the server answers a bad message with.
func (s *frameScan) body() (bool, []byte) {
	var id []byte
	items, ok := s.open('}')
	for ok && items {
		k, ok := s.key()
		if !ok {
			return false, nil
		}
		start := s.i
		if !s.value() {
			return false, nil
		}
		if keyIs(k, "Id") {
			id = s.b[start:s.i]
		}
		items, ok = s.more('}')
		if !ok {
			return false, nil
		}
	}
	return ok, id
}

// messageName returns the name as a string, shared with the registry's
// copy when the name is known so that decoding allocates nothing for it.
func messageName(raw []byte) string {
	b := unquote(raw)
	if n, ok := internedNames()[string(b)]; ok {
		return n
	}
	return string(b)
}

// internedNames is built on first use: the registry is filled by init.
var internedNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for name := range registry {
		m[name] = name
	}
	return m
})

// distinctKeys counts the different names among raw object keys.
func distinctKeys(keys [][]byte) int {
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		seen[string(unquote(k))] = struct{}{}
	}
	return len(seen)
}

// kindName names the JSON type of a value by its first byte.
func kindName(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
