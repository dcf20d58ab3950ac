package protocol

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
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

	body []byte // the message body, checked to be valid JSON
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
	fail := func(err error, field, detail string) error {
		return &DecodeError{Index: e.Index, Message: e.Name, ID: e.ID, HasID: e.HasID, Field: field, Err: err, Detail: detail}
	}
	reg := messagePlans()[e.Name]
	if reg == nil {
		return nil, fail(ErrUnknownMessage, "", strconv.Quote(e.Name))
	}
	if !d.Version.Valid() || reg[d.Version] == nil {
		return nil, fail(ErrWrongVersion, "", fmt.Sprintf("%s is not a spec %s message", e.Name, d.Version))
	}
	mp := reg[d.Version]
	m := mp.new()
	v := ptrValue(m)
	ds := decState{b: e.bodyJSON(), lenient: d.Lenient}
	if fe := ds.value(mp.dec, v); fe != nil {
		return nil, fail(fe.err, fe.path(), fe.detail)
	}
	if mp.val != nil {
		if fe := mp.val.check(v); fe != nil {
			return nil, fail(fe.err, fe.path(), fe.detail)
		}
	}
	return m, nil
}

// msgPlan is how to make, decode and check one message type.
type msgPlan struct {
	new newFunc
	dec *decPlan
	val *valPlan // checks that can fail on decoded values; nil if none
}

// messagePlans is the registry with the plans of every message type, made
// on first use (the registry is filled by init).
var messagePlans = sync.OnceValue(func() map[string]*[CurrentVersion + 1]*msgPlan {
	out := map[string]*[CurrentVersion + 1]*msgPlan{}
	for name, fns := range registry {
		out[name] = new([CurrentVersion + 1]*msgPlan)
		for v, fn := range fns {
			if fn != nil {
				t := ptrValue(fn()).Type()
				out[name][v] = &msgPlan{new: fn, dec: planFor(t), val: valPlanFor(t, decodedValues)}
			}
		}
	}
	return out
})

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
	// The envelopes outlive this call: keep them off the caller's buffer.
	return splitFrame(bytes.Clone(frame), maxSize, nil)
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
	ds := decState{b: e.bodyJSON()}
	if ds.peek() != '{' {
		return 0, fail(ErrWrongType, "", "expected object, got "+ds.kind())
	}
	// The last occurrence of each field counts, as with encoding/json.
	pos := map[string]int{}
	if ds.enter() {
		for {
			if k := string(ds.key()); k == "ProtocolVersionMajor" || k == "MessageVersion" {
				pos[k] = ds.i
			}
			ds.skip()
			if !ds.more() {
				break
			}
		}
	}
	for _, field := range []string{"ProtocolVersionMajor", "MessageVersion"} {
		at, present := pos[field]
		if !present {
			continue
		}
		ds.i = at
		if !ds.atNumber() {
			return 0, fail(ErrWrongType, field, "expected integer, got "+ds.kind())
		}
		n := ds.num()
		v, ok := digitsUint(n, 32)
		if !ok {
			return 0, fail(ErrOutOfRange, field, string(n))
		}
		if detail := versionMismatch(field, v); detail != "" {
			return Version(v), fail(ErrWrongVersion, field, detail)
		}
		return Version(v), nil
	}
	return Version0, nil
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
