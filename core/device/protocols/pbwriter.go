package protocols

import (
	"encoding/binary"
	"math"
)

// A minimal protocol buffers (proto3) writer for the messages The Handy
// speaks. Fields are appended in the order the caller writes them, which
// for the handyplug and Handy RPC messages is field-number order, as a
// generated encoder writes them. Scalars at their zero value are left out,
// as proto3 requires; messages are always written, even empty, since a set
// oneof member or a repeated element must be present.

// Protocol buffers wire types.
const (
	pbVarint  = 0
	pbFixed64 = 1
	pbBytes   = 2
	pbFixed32 = 5
)

type pbMsg []byte

func (m pbMsg) tag(field uint32, wire uint8) pbMsg {
	return binary.AppendUvarint(m, uint64(field)<<3|uint64(wire))
}

// uint32 writes a uint32 (or enum) field.
func (m pbMsg) uint32(field, v uint32) pbMsg {
	if v == 0 {
		return m
	}
	return binary.AppendUvarint(m.tag(field, pbVarint), uint64(v))
}

// bool writes a bool field.
func (m pbMsg) bool(field uint32, v bool) pbMsg {
	if !v {
		return m
	}
	return append(m.tag(field, pbVarint), 1)
}

// float writes a float field. -0 counts as zero and is left out, as the
// reference's encoder (prost) does.
func (m pbMsg) float(field uint32, v float32) pbMsg {
	if v == 0 {
		return m
	}
	return binary.LittleEndian.AppendUint32(m.tag(field, pbFixed32), math.Float32bits(v))
}

// double writes a double field, leaving out zero like float.
func (m pbMsg) double(field uint32, v float64) pbMsg {
	if v == 0 {
		return m
	}
	return binary.LittleEndian.AppendUint64(m.tag(field, pbFixed64), math.Float64bits(v))
}

// msg writes an embedded message field.
func (m pbMsg) msg(field uint32, sub pbMsg) pbMsg {
	m = binary.AppendUvarint(m.tag(field, pbBytes), uint64(len(sub)))
	return append(m, sub...)
}
