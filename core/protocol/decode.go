package protocol

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxFrameSize is the largest frame, in bytes, that bphost reads or
// writes: the decoder refuses a longer one with ErrFrameTooLarge, and every
// transport (connectors, the in-process pipe, the server's listeners, the
// plugin stream) holds frames to it (connector.MaxFrame is this constant),
// so a frame one part accepts is never refused by another. Buttplug frames
// are small (a large DeviceList is tens of kilobytes); the limit bounds what
// a peer can make us buffer.
const MaxFrameSize = 1 << 20

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

	body []byte  // the message body, checked to be valid JSON
	fast fastMsg // the message when the fast path read it
}

// Decoder decodes frames of one spec version, up to MaxFrameSize. The zero
// value decodes spec v0 strictly; set Version first.
type Decoder struct {
	// Version selects the message shapes.
	Version Version
	// Lenient accepts fields the schema does not know and skips unknown
	// output and input types in device lists, as a client should when a newer
	// server adds them. Servers decode strictly.
	Lenient bool

	// limit lowers MaxFrameSize for tests of the limit (0: MaxFrameSize).
	limit int
}

// Decode decodes a whole frame. It stops at the first bad message.
func (d *Decoder) Decode(frame []byte) ([]Message, error) {
	var buf [4]Envelope // most frames hold one message
	envs, err := splitFrame(frame, d.limit, buf[:0])
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
	reg := registry[e.Name]
	if reg == nil {
		return nil, e.fail(ErrUnknownMessage, "", strconv.Quote(e.Name))
	}
	if !d.Version.Valid() || reg[d.Version] == nil {
		return nil, e.fail(ErrWrongVersion, "", fmt.Sprintf("%s is not a spec %s message", e.Name, d.Version))
	}
	if e.fast.name != "" {
		m := e.fast.message()
		if fe := validate(ptrValue(m)); fe != nil {
			return nil, e.fail(fe.err, fe.path(), fe.detail)
		}
		return m, nil
	}
	m := reg[d.Version]()
	if fe := decodeBody(e.bodyJSON(), m, d.Lenient); fe != nil {
		return nil, e.fail(fe.err, fe.path(), fe.detail)
	}
	return m, nil
}

// fail is a DecodeError about e.
func (e *Envelope) fail(err error, field, detail string) error {
	return &DecodeError{Index: e.Index, Message: e.Name, ID: e.ID, HasID: e.HasID, Field: field, Err: err, Detail: detail}
}

// bodyJSON is the body to decode; an Envelope not made by SplitFrame has
// none, which reads as null.
func (e *Envelope) bodyJSON() []byte {
	if len(e.body) == 0 {
		return []byte("null")
	}
	return e.body
}

// SplitFrame parses a frame of at most MaxFrameSize bytes and splits it
// into its messages.
func SplitFrame(frame []byte) ([]Envelope, error) { return splitFrameLimit(frame, 0) }

// splitFrameLimit is SplitFrame with the limit lowered for tests (0:
// MaxFrameSize).
func splitFrameLimit(frame []byte, maxSize int) ([]Envelope, error) {
	if err := checkFrameSize(frame, maxSize); err != nil {
		return nil, err
	}
	if e, ok := fastFrame(frame); ok {
		return []Envelope{e}, nil
	}
	// The envelopes outlive this call: keep them off the caller's buffer.
	return splitFrame(bytes.Clone(frame), maxSize, nil)
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

// DetectVersion reads the spec version a client asks for in its
// RequestServerInfo, the way the reference server does: ProtocolVersionMajor
// if present, else MessageVersion, else 0. A version newer than this package
// knows is returned with an ErrWrongVersion error so the server can refuse it
// by the request's Id.
func DetectVersion(e *Envelope) (Version, error) {
	if e.Name != "RequestServerInfo" {
		return 0, e.fail(ErrWrongVersion, "", "the first message must be RequestServerInfo, got "+strconv.Quote(e.Name))
	}
	var fields struct {
		ProtocolVersionMajor, MessageVersion jsontext.Value
	}
	if fe := readMembers(e.bodyJSON(), func(name string, v jsontext.Value) {
		switch name {
		case "ProtocolVersionMajor":
			fields.ProtocolVersionMajor = v
		case "MessageVersion":
			fields.MessageVersion = v
		}
	}); fe != nil {
		return 0, e.fail(fe.err, "", fe.detail)
	}
	for _, f := range []struct {
		name string
		v    jsontext.Value
	}{{"ProtocolVersionMajor", fields.ProtocolVersionMajor}, {"MessageVersion", fields.MessageVersion}} {
		if f.v == nil {
			continue
		}
		if f.v.Kind() != '0' {
			return 0, e.fail(ErrWrongType, f.name, "expected integer, got "+kindName(f.v.Kind()))
		}
		v, ok := digitsUint(f.v, 32)
		if !ok {
			return 0, e.fail(ErrOutOfRange, f.name, string(f.v))
		}
		if detail := versionMismatch(f.name, v); detail != "" {
			return Version(v), e.fail(ErrWrongVersion, f.name, detail)
		}
		return Version(v), nil
	}
	return Version0, nil
}

// readMembers calls member with each member of the object body, which
// must be valid JSON. The values are valid until it returns.
func readMembers(body []byte, member func(name string, v jsontext.Value)) *fieldErr {
	sc := scanners.Get().(*scanner)
	defer scanners.Put(sc)
	sc.buf = *bytes.NewBuffer(body)
	sc.dec.Reset(&sc.buf)
	dec := &sc.dec
	if k := dec.PeekKind(); k != '{' {
		return wrongType("object", k)
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(err)
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return syntaxErr(err)
		}
		v, err := dec.ReadValue()
		if err != nil {
			return syntaxErr(err)
		}
		member(string(unquote(name)), v)
	}
	return nil
}

// syntaxErr reports JSON that jsontext refused where valid JSON was expected.
func syntaxErr(err error) *fieldErr {
	return &fieldErr{err: ErrMalformedJSON, detail: err.Error()}
}

// versionMismatch says why version v read from field cannot be served, or
// returns "".
func versionMismatch(field string, v uint64) string {
	switch {
	case field == "MessageVersion" && v >= uint64(Version4):
		return fmt.Sprintf("MessageVersion %d; spec v4 and later use ProtocolVersionMajor", v)
	case field == "ProtocolVersionMajor" && v < uint64(Version4):
		return fmt.Sprintf("ProtocolVersionMajor %d; versions before 4 use MessageVersion", v)
	case !Version(v).Valid():
		return fmt.Sprintf("spec v%d is newer than %s", v, CurrentVersion)
	}
	return ""
}
