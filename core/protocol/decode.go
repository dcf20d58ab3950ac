package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DefaultMaxFrameSize is the frame size limit used when a Decoder has none.
const DefaultMaxFrameSize = 16 << 20

// Envelope is one message of a frame, split off but not yet decoded. A server
// uses it to answer a bad message with that message's own Id.
type Envelope struct {
	// Index is the message's position in its frame.
	Index int
	// Name is the message name, the object's single key.
	Name string
	// ID is the message's Id when HasID is true.
	ID    uint32
	HasID bool

	body any // the parsed JSON value of the message
}

// Decoder decodes frames of one spec version. The zero value decodes spec v0
// strictly with the default size limit; set Version first.
type Decoder struct {
	// Version selects the message shapes.
	Version Version
	// MaxFrameSize limits the frame length in bytes; 0 means DefaultMaxFrameSize.
	MaxFrameSize int
	// Lenient accepts fields the schema does not know and skips unknown
	// output and input types in device lists, as a client should when a newer
	// server adds them. Servers decode strictly.
	Lenient bool
}

// Decode decodes a whole frame. It stops at the first bad message.
func (d *Decoder) Decode(frame []byte) ([]Message, error) {
	envs, err := SplitFrame(frame, d.MaxFrameSize)
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(envs))
	for i := range envs {
		m, err := d.DecodeEnvelope(&envs[i])
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// DecodeEnvelope decodes one message split off by SplitFrame.
func (d *Decoder) DecodeEnvelope(e *Envelope) (Message, error) {
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
	w := walker{lenient: d.Lenient}
	if fe := w.decode(e.body, ptrValue(m), ""); fe != nil {
		return nil, fail(fe.err, fe.path, fe.detail)
	}
	if fe := validate(ptrValue(m), ""); fe != nil {
		return nil, fail(fe.err, fe.path, fe.detail)
	}
	return m, nil
}

// SplitFrame parses a frame and splits it into its messages. maxSize limits
// the frame length; 0 means DefaultMaxFrameSize.
func SplitFrame(frame []byte, maxSize int) ([]Envelope, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFrameSize
	}
	ferr := func(err error, detail string) error {
		return &DecodeError{Index: -1, Err: err, Detail: detail}
	}
	if len(frame) > maxSize {
		return nil, ferr(ErrFrameTooLarge, fmt.Sprintf("%d bytes, limit %d", len(frame), maxSize))
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
	arr, ok := tree.([]any)
	if !ok {
		return nil, ferr(ErrNotArray, "got "+jsonKind(tree))
	}
	if len(arr) == 0 {
		return nil, ferr(ErrEmptyFrame, "")
	}
	envs := make([]Envelope, len(arr))
	for i, item := range arr {
		obj, ok := item.(map[string]any)
		if !ok || len(obj) != 1 {
			detail := "got " + jsonKind(item)
			if ok {
				detail = fmt.Sprintf("object has %d keys", len(obj))
			}
			return nil, &DecodeError{Index: i, Err: ErrNotObject, Detail: detail}
		}
		e := Envelope{Index: i}
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

// DetectVersion reads the spec version a client asks for in its
// RequestServerInfo, the way the reference server does: ProtocolVersionMajor
// if present, else MessageVersion, else 0. A version newer than this package
// knows is returned with an ErrWrongVersion error so the server can refuse it
// by the request's Id.
func DetectVersion(e *Envelope) (Version, error) {
	fail := func(err error, field, detail string) error {
		return &DecodeError{Index: e.Index, Message: e.Name, ID: e.ID, HasID: e.HasID, Field: field, Err: err, Detail: detail}
	}
	if e.Name != "RequestServerInfo" {
		return 0, fail(ErrWrongVersion, "", "the first message must be RequestServerInfo, got "+strconv.Quote(e.Name))
	}
	body, ok := e.body.(map[string]any)
	if !ok {
		return 0, fail(ErrWrongType, "", "expected object, got "+jsonKind(e.body))
	}
	for _, field := range []string{"ProtocolVersionMajor", "MessageVersion"} {
		raw, present := body[field]
		if !present {
			continue
		}
		n, ok := raw.(json.Number)
		if !ok {
			return 0, fail(ErrWrongType, field, "expected integer, got "+jsonKind(raw))
		}
		v, err := strconv.ParseUint(string(n), 10, 32)
		if err != nil {
			return 0, fail(ErrOutOfRange, field, string(n))
		}
		if field == "MessageVersion" && v >= uint64(Version4) {
			return Version(v), fail(ErrWrongVersion, field, fmt.Sprintf("MessageVersion %d; spec v4 and later use ProtocolVersionMajor", v))
		}
		if field == "ProtocolVersionMajor" && v < uint64(Version4) {
			return Version(v), fail(ErrWrongVersion, field, fmt.Sprintf("ProtocolVersionMajor %d; versions before 4 use MessageVersion", v))
		}
		if !Version(v).Valid() {
			return Version(v), fail(ErrWrongVersion, field, fmt.Sprintf("spec v%d is newer than %s", v, CurrentVersion))
		}
		return Version(v), nil
	}
	return Version0, nil
}

func jsonKind(v any) string {
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
