package protocol

import (
	"encoding/json"
	"strconv"
)

// Encode writes messages as one frame. Every message is validated first: a
// client message with Id 0, an event with a non-zero Id, a value outside its
// schema bounds or an unknown enumeration value is an *EncodeError.
func Encode(msgs ...Message) ([]byte, error) {
	return AppendFrame(make([]byte, 0, 64*len(msgs)), msgs...)
}

// AppendFrame appends the frame for msgs to dst, so callers can reuse a buffer.
func AppendFrame(dst []byte, msgs ...Message) ([]byte, error) {
	if len(msgs) == 0 {
		return nil, &EncodeError{Err: ErrEmptyFrame}
	}
	dst = append(dst, '[')
	for i, m := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendMessage(dst, m); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

func appendMessage(dst []byte, m Message) ([]byte, error) {
	name := m.MessageName()
	if fe := validate(ptrValue(m)); fe != nil {
		return nil, &EncodeError{Message: name, Field: fe.path(), Err: fe.err, Detail: fe.detail}
	}
	dst = append(dst, `{"`...)
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	// The hottest message gets a hand-written encoder.
	if oc, ok := m.(*OutputCmd); ok {
		dst = append(dst, `{"Id":`...)
		dst = strconv.AppendUint(dst, uint64(oc.ID), 10)
		dst = append(dst, `,"DeviceIndex":`...)
		dst = strconv.AppendUint(dst, uint64(oc.DeviceIndex), 10)
		dst = append(dst, `,"FeatureIndex":`...)
		dst = strconv.AppendUint(dst, uint64(oc.FeatureIndex), 10)
		dst = append(dst, `,"Command":`...)
		var err error
		if dst, err = oc.Command.appendJSON(dst); err != nil {
			return nil, &EncodeError{Message: name, Field: "Command", Err: ErrInvalidEnum, Detail: err.Error()}
		}
		return append(dst, "}}"...), nil
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, &EncodeError{Message: name, Err: ErrWrongType, Detail: err.Error()}
	}
	dst = append(dst, body...)
	return append(dst, '}'), nil
}
