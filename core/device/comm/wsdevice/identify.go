package wsdevice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrIdentify is wrapped by ParseIdentify's errors: the first message was
// not a valid identify frame.
var ErrIdentify = errors.New("invalid identify frame")

// maxIdentify bounds the identify frame; real ones are under 200 bytes.
const maxIdentify = 4096

// Identify is the first message a device sends, as text:
//
//	{"identifier": "LVSDevice", "address": "8A3F2C01", "version": 0}
//
// Identifier is what websocket specifiers of the device configuration
// match; Address tells this device from others of the same kind.
type Identify struct {
	Identifier string `json:"identifier"`
	Address    string `json:"address"`
	Version    uint32 `json:"version"`
}

// ParseIdentify reads an identify frame. As in Intiface Engine, identifier
// and address must be strings and version, when present, a non-negative
// integer; unknown fields are ignored. The identifier must not be empty.
func ParseIdentify(b []byte) (Identify, error) {
	var raw struct {
		Identifier *string `json:"identifier"`
		Address    *string `json:"address"`
		Version    *uint32 `json:"version"`
	}
	if len(b) > maxIdentify {
		return Identify{}, fmt.Errorf("%w: %d bytes (at most %d)", ErrIdentify, len(b), maxIdentify)
	}
	if !utf8.Valid(b) {
		return Identify{}, fmt.Errorf("%w: not UTF-8", ErrIdentify)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return Identify{}, fmt.Errorf("%w: %v", ErrIdentify, err)
	}
	if dec.More() {
		return Identify{}, fmt.Errorf("%w: data after the JSON object", ErrIdentify)
	}
	switch {
	case raw.Identifier == nil:
		return Identify{}, fmt.Errorf("%w: no identifier", ErrIdentify)
	case *raw.Identifier == "":
		return Identify{}, fmt.Errorf("%w: empty identifier", ErrIdentify)
	case raw.Address == nil:
		return Identify{}, fmt.Errorf("%w: no address", ErrIdentify)
	}
	id := Identify{Identifier: *raw.Identifier, Address: *raw.Address}
	if raw.Version != nil {
		id.Version = *raw.Version
	}
	return id, nil
}
