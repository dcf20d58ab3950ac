package protocol

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by [*DecodeError] and [*EncodeError] (and
// ErrOutOfRange by [Steps]); callers branch on them with errors.Is.
var (
	ErrMalformedJSON  = errors.New("malformed JSON")
	ErrNotArray       = errors.New("frame is not a JSON array")
	ErrEmptyFrame     = errors.New("frame holds no messages")
	ErrTrailingData   = errors.New("trailing data after frame")
	ErrFrameTooLarge  = errors.New("frame too large")
	ErrNotObject      = errors.New("message is not a single-key JSON object")
	ErrUnknownMessage = errors.New("unknown message")
	ErrWrongVersion   = errors.New("message not in this spec version")
	ErrMissingField   = errors.New("missing required field")
	ErrUnknownField   = errors.New("unknown field")
	ErrWrongType      = errors.New("wrong field type")
	ErrOutOfRange     = errors.New("value out of range")
	ErrInvalidEnum    = errors.New("unknown enumeration value")
	ErrInvalidID      = errors.New("invalid message id")
)

// DecodeError describes why a frame or one message in it could not be decoded.
type DecodeError struct {
	// Index is the message's position in the frame, or -1 for frame-level
	// problems.
	Index int
	// Message is the message name, when it could be read.
	Message string
	// ID is the message Id when HasID is true; a server answers with it.
	ID    uint32
	HasID bool
	// Field is the path of the offending field inside the message body, e.g.
	// "Scalars[1].Scalar"; empty for problems with the message as a whole.
	Field string
	// Err is one of the sentinel errors of this package.
	Err error
	// Detail says what was found.
	Detail string
}

// Error locates the problem (message name or position, Id, field) before
// the sentinel and the detail, so one log line is enough to find it.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("protocol: decode")
	if e.Message != "" {
		b.WriteString(" ")
		b.WriteString(e.Message)
	} else if e.Index >= 0 {
		b.WriteString(" message ")
		b.WriteString(strconv.Itoa(e.Index))
	}
	if e.HasID {
		b.WriteString(" (Id ")
		b.WriteString(strconv.FormatUint(uint64(e.ID), 10))
		b.WriteString(")")
	}
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the sentinel, so callers branch with errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError describes a message that cannot be encoded because it breaks the
// schema (an out-of-range id or value, a missing required value).
type EncodeError struct {
	Message string
	Field   string
	Err     error
	Detail  string
}

// Error names the message and field that broke the schema, then the
// sentinel and the detail.
func (e *EncodeError) Error() string {
	s := "protocol: encode " + e.Message
	if e.Field != "" {
		s += " field " + e.Field
	}
	s += ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel, so callers branch with errors.Is.
func (e *EncodeError) Unwrap() error { return e.Err }

// Error is the Buttplug Error message. It is also a Go error, so a reply that
// failed can be returned as is and inspected with errors.As.
type Error struct {
	ID           uint32    `json:"Id" bp:"id=server"`
	ErrorMessage string    `json:"ErrorMessage"`
	ErrorCode    ErrorCode `json:"ErrorCode" bp:"max=4"`
}

// NewError returns an Error message with the given id, code and text.
func NewError(id uint32, code ErrorCode, format string, args ...any) *Error {
	return &Error{ID: id, ErrorCode: code, ErrorMessage: fmt.Sprintf(format, args...)}
}

// Error shows the Buttplug error code beside the server's text, since the
// code is what a caller can act on.
func (e *Error) Error() string {
	return fmt.Sprintf("buttplug %s: %s", e.ErrorCode, e.ErrorMessage)
}

// Is reports whether target is an *Error with the same code, so
// errors.Is(err, &protocol.Error{ErrorCode: protocol.ErrorDevice}) tests the class.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.ErrorCode == e.ErrorCode && (t.ErrorMessage == "" || t.ErrorMessage == e.ErrorMessage)
}

// CodeOf returns the Buttplug error code carried by err, if err wraps an *Error.
func CodeOf(err error) (ErrorCode, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrorCode, true
	}
	return 0, false
}
