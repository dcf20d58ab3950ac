package protocols

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// The Handy on firmware 4 and later (Handy 2, The Oh!) speaks the Handy RPC
// protocol buffers: an RpcMessage of type request holding a Request with an
// id and one parameter message, written to tx; answers come on rx. The
// model is the middle of the advertised name ("OHD_hw4_..." is "hw4"). At
// connect the battery and the capabilities are asked, as the vendor app
// does; the answers are not needed. Moves are HDSP "xp t" requests (position
// 0-1, time in ms, stop on target), vibration HVP set (amplitude 0-1 at
// 100 Hz) or HVP stop.

// Field numbers and values of handy_rpc.proto and messages.proto.
const (
	handyRPCType           = 1
	handyRPCRequest        = 2
	handyRPCTypeRequest    = 1
	handyRPCTypeResponse   = 3
	handyRPCResponse       = 4
	handyRequestID         = 2
	handyBatteryGet        = 710
	handyCapabilitiesGet   = 713
	handyHdspXpTSet        = 744
	handyHvpSet            = 900
	handyHvpStop           = 901
	handyXpTPosition       = 1
	handyXpTTime           = 2
	handyXpTStopOnTarget   = 3
	handyHvpSetAmplitude   = 1
	handyHvpSetFrequency   = 2
	handyHvpSetPosition    = 3
	handyHvpFrequency      = 100
	thehandyV3ReplyTimeout = time.Second
)

// handyRequest encodes a request of id whose parameter is field.
func handyRequest(id, field uint32, params pbMsg) []byte {
	req := pbMsg(nil).uint32(handyRequestID, id).msg(field, params)
	return pbMsg(nil).uint32(handyRPCType, handyRPCTypeRequest).msg(handyRPCRequest, req)
}

func init() {
	Register("thehandy-v3", func() Protocol { return thehandyV3{} })
	RegisterSimulator("thehandy-v3", thehandyV3Sim{})
}

type thehandyV3 struct{}

func (thehandyV3) Identify(_ context.Context, link Link) (string, error) {
	parts := strings.Split(link.Name(), "_")
	if len(parts) > 2 {
		return parts[1], nil
	}
	// The reference's identifier for names of another shape; user
	// configurations are keyed by it.
	return "unknown", nil
}

func (thehandyV3) Init(ctx context.Context, link Link, _ *config.Definition) (Handler, error) {
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("thehandy-v3: subscribe rx: %w", err)
	}
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	for i, field := range []uint32{handyBatteryGet, handyCapabilitiesGet} {
		if err := link.Write(ctx, comm.EndpointTx, handyRequest(uint32(i+1), field, nil), false); err != nil {
			return nil, fmt.Errorf("thehandy-v3: request %d: %w", field, err)
		}
		// Firmware that does not answer still moves: wait a while, then
		// go on.
		if _, _, err := awaitNotification(ctx, lis, thehandyV3ReplyTimeout); err != nil {
			return nil, fmt.Errorf("thehandy-v3: answer to request %d: %w", field, err)
		}
	}
	return &thehandyV3Handler{}, nil
}

// thehandyV3Handler numbers its requests from 0.
type thehandyV3Handler struct{ seq uint32 }

func (h *thehandyV3Handler) Output(o Output) ([]Command, error) {
	var field uint32
	var params pbMsg
	switch {
	case o.Type == protocol.OutputHwPositionWithDuration:
		field = handyHdspXpTSet
		params = pbMsg(nil).
			float(handyXpTPosition, float32(o.Value)/100).
			uint32(handyXpTTime, o.Duration).
			bool(handyXpTStopOnTarget, true)
	case o.Type == protocol.OutputVibrate && o.Value == 0:
		field = handyHvpStop
	case o.Type == protocol.OutputVibrate:
		field = handyHvpSet
		params = pbMsg(nil).
			float(handyHvpSetAmplitude, float32(o.Value)/100).
			uint32(handyHvpSetFrequency, handyHvpFrequency).
			float(handyHvpSetPosition, 0)
	default:
		return nil, Unsupported(o)
	}
	id := h.seq
	h.seq++
	return []Command{Write(comm.EndpointTx, handyRequest(id, field, params), true, o.Feature)}, nil
}

// thehandyV3Sim advertises its model in the name and answers every request
// with an empty response.
type thehandyV3Sim struct{ SimBase }

func (thehandyV3Sim) Advertise(_ *config.Definition, identifier string, adv *comm.Advertisement) {
	if identifier != "" {
		adv.Name = "OHD_" + identifier + "_SIM"
	}
}

func (thehandyV3Sim) Respond(_ *SimState, ep comm.Endpoint, _ []byte) []comm.Notification {
	if ep != comm.EndpointTx {
		return nil
	}
	reply := pbMsg(nil).uint32(handyRPCType, handyRPCTypeResponse).msg(handyRPCResponse, nil)
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: reply}}
}
