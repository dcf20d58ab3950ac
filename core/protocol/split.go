package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// splitFrame checks frame and appends one Envelope per message to envs.
// The envelopes' bodies point into frame. jsontext checks the syntax
// (RFC 8259: valid UTF-8, no repeated member names) while the messages are
// found, so a syntax error anywhere in the frame is reported as such before
// any other problem.
func splitFrame(frame []byte, maxSize int, envs []Envelope) ([]Envelope, error) {
	if err := checkFrameSize(frame, maxSize); err != nil {
		return nil, err
	}
	if e, ok := fastFrame(frame); ok {
		return append(envs, e), nil
	}
	return splitLibrary(frame, envs)
}

// splitLibrary is splitFrame on the library path.
func splitLibrary(frame []byte, envs []Envelope) ([]Envelope, error) {
	sc := scanners.Get().(*scanner)
	defer scanners.Put(sc)
	sc.buf = *bytes.NewBuffer(frame)
	sc.dec.Reset(&sc.buf)
	dec := &sc.dec

	ferr := func(err error, detail string) error {
		return &DecodeError{Index: -1, Err: err, Detail: detail}
	}
	malformed := func(err error) error {
		if errors.Is(err, io.EOF) {
			return ferr(ErrMalformedJSON, "empty frame")
		}
		return ferr(ErrMalformedJSON, err.Error())
	}
	first := dec.PeekKind()
	if first != '[' {
		if _, err := dec.ReadValue(); err != nil {
			return nil, malformed(err)
		}
		if err := trailing(frame, dec); err != nil {
			return nil, err
		}
		return nil, ferr(ErrNotArray, "got "+kindName(first))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, malformed(err)
	}
	items, fault, detail := 0, -1, ""
	for dec.PeekKind() != ']' {
		var err error
		switch kind := dec.PeekKind(); {
		case fault >= 0:
			err = dec.SkipValue()
		case kind == '{':
			e := Envelope{Index: items}
			if detail, err = readMessage(frame, dec, &e); err == nil && detail != "" {
				fault = items
			} else if err == nil {
				envs = append(envs, e)
			}
		default:
			fault, detail = items, "got "+kindName(kind)
			err = dec.SkipValue()
		}
		if err != nil {
			return nil, malformed(err)
		}
		items++
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, malformed(err)
	}
	if err := trailing(frame, dec); err != nil {
		return nil, err
	}
	switch {
	case items == 0:
		return nil, ferr(ErrEmptyFrame, "")
	case fault >= 0:
		return nil, &DecodeError{Index: fault, Err: ErrNotObject, Detail: detail}
	}
	return envs, nil
}

// scanner is a reusable frame reader: the decoder reads the frame in place
// through the bytes.Buffer.
type scanner struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

var scanners = sync.Pool{New: func() any { return new(scanner) }}

// trailing refuses anything but white space after the frame's value.
func trailing(frame []byte, dec *jsontext.Decoder) error {
	rest := bytes.TrimLeft(frame[dec.InputOffset():], " \t\r\n")
	if len(rest) > 0 {
		return &DecodeError{Index: -1, Err: ErrTrailingData, Detail: fmt.Sprintf("%d bytes after the array", len(rest))}
	}
	return nil
}

// readMessage reads one message object into e; detail says why it is not a
// single-key object.
func readMessage(frame []byte, dec *jsontext.Decoder, e *Envelope) (detail string, err error) {
	if _, err := dec.ReadToken(); err != nil { // '{'
		return "", err
	}
	keys := 0
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return "", err
		}
		keys++
		if keys > 1 {
			if err := dec.SkipValue(); err != nil {
				return "", err
			}
			continue
		}
		e.Name = messageName(name)
		if err := readBody(frame, dec, e); err != nil {
			return "", err
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}'
		return "", err
	}
	if keys != 1 {
		return fmt.Sprintf("object has %d keys", keys), nil
	}
	return "", nil
}

// readBody notes where e's body is and reads its "Id" member, which the
// server answers a bad message with.
func readBody(frame []byte, dec *jsontext.Decoder, e *Envelope) error {
	if dec.PeekKind() != '{' {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		end := dec.InputOffset()
		e.body = frame[end-int64(len(v)) : end]
		return nil
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	start := dec.InputOffset() - 1
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return err
		}
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if string(name) == `"Id"` || bytes.IndexByte(name, '\\') >= 0 && string(unquote(name)) == "Id" {
			e.ID, e.HasID = 0, false
			if u, ok := digitsUint(v, 32); ok {
				e.ID, e.HasID = uint32(u), true
			}
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	e.body = frame[start:dec.InputOffset()]
	return nil
}

// messageName returns the name as a string, shared with the registry's
// copy when the name is known so that decoding allocates nothing for it.
func messageName(quoted []byte) string {
	b := unquote(quoted)
	if n, ok := internedNames()[string(b)]; ok {
		return n
	}
	return string(b)
}

// unquote returns the contents of a valid JSON string.
func unquote(quoted []byte) []byte {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return quoted[1 : len(quoted)-1]
	}
	b, err := jsontext.AppendUnquote(nil, quoted)
	if err != nil {
		return quoted[1 : len(quoted)-1] // not reached: jsontext checked it
	}
	return b
}

// internedNames is built on first use: the registry is filled by init.
var internedNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for name := range registry {
		m[name] = name
	}
	return m
})

// kindName names a JSON kind.
func kindName(k jsontext.Kind) string {
	switch k {
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
	case '0':
		return "number"
	}
	return "nothing"
}

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
		if c < '0' || c > '9' {
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
