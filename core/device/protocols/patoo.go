package protocols

import (
	"context"
	"strings"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Patoo: the speed on tx, then the mode on txmode, both with response. Mode
// 04 runs the first motor at the speed, 80 the second; 00 stops. There is
// one speed byte: the first motor's while it runs, else the second's.
func init() {
	Register("patoo", func() Protocol { return patoo{} })
}

type patoo struct{}

// Identify drops the serial number the devices append to their model
// letters ("PBT0123" is "PBT").
func (patoo) Identify(_ context.Context, link Link) (string, error) {
	name := link.Name()
	if i := strings.IndexAny(name, "0123456789"); i >= 0 {
		name = name[:i]
	}
	return name, nil
}

func (patoo) Init(_ context.Context, _ Link, def *config.Definition) (Handler, error) {
	s := newState(def)
	return HandlerFunc(func(o Output) ([]Command, error) {
		if o.Type != protocol.OutputVibrate || o.Feature > 1 {
			return nil, Unsupported(o)
		}
		s.set(o)
		speed, mode := byte(s.get(0)), byte(0x04)
		if speed == 0 {
			mode = 0x00
			if second := byte(s.get(1)); second != 0 {
				speed, mode = second, 0x80
			}
		}
		// The mode carries no feature of its own: a protocol key lets a
		// newer mode replace a waiting one without dropping the speed.
		return []Command{
			Write(comm.EndpointTx, []byte{speed}, true, s.all()...),
			Write(comm.EndpointTxMode, []byte{mode}, true, ProtocolKey(0)),
		}, nil
	}), nil
}
