package pluginapi

import (
	"time"

	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/hashicorp/go-hclog"
)

// Hooks for the external tests.

// RawInProcess serves t in process and returns a bare client of the
// contract, to send what a correct host never sends, and its stop.
func RawInProcess(t Transport) (pb.ConnectorServiceClient, func(), error) {
	inst, err := startInProcess(t, t.Describe(), hclog.NewNullLogger())
	if err != nil {
		return nil, nil, err
	}
	return inst.client, inst.stop, nil
}

// SetAttachTimeout changes how long an opened session waits for its stream;
// the returned func restores it.
func SetAttachTimeout(d time.Duration) (restore func()) {
	old := attachTimeout
	attachTimeout = d
	return func() { attachTimeout = old }
}

// FromStatus is fromStatus.
var FromStatus = fromStatus
