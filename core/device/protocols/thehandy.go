package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// The Handy (firmware 3) speaks "handyplug", protocol buffers shaped after
// Buttplug messages: each move is a Payload holding one Message whose
// LinearCmd (id 2, device 0) has one vector (index 0, the duration in ms,
// the position 0-1), written to tx with response. The reference keeps the
// link alive with pings only on hardware that needs it (iOS); none are sent
// here.

// Field numbers of handyplug.proto.
const (
	handyplugPayloadMessages  = 1
	handyplugMessageLinearCmd = 403
	handyplugLinearID         = 1
	handyplugLinearDevice     = 2
	handyplugLinearVectors    = 3
	handyplugVectorIndex      = 1
	handyplugVectorDuration   = 2
	handyplugVectorPosition   = 3
)

// handyplugLinear encodes a move to position (0-100) in duration ms.
func handyplugLinear(position int32, duration uint32) []byte {
	vector := pbMsg(nil).
		uint32(handyplugVectorIndex, 0).
		uint32(handyplugVectorDuration, duration).
		double(handyplugVectorPosition, float64(position)/100)
	cmd := pbMsg(nil).
		uint32(handyplugLinearID, 2).
		uint32(handyplugLinearDevice, 0).
		msg(handyplugLinearVectors, vector)
	message := pbMsg(nil).msg(handyplugMessageLinearCmd, cmd)
	return pbMsg(nil).msg(handyplugPayloadMessages, message)
}

func init() {
	registerPerOutput("thehandy", comm.EndpointTx, true, func(o Output) []byte {
		return handyplugLinear(o.Value, o.Duration)
	}, protocol.OutputHwPositionWithDuration)
}
