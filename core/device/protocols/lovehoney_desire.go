package protocols

import (
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Lovehoney Desire: f3 <motor> <speed> with response, motor 0 meaning
// every motor; two-motor toys send both speeds at once when they match.
func init() {
	RegisterGeneric("lovehoney-desire", func(def *config.Definition) (Handler, error) {
		s := newState(def)
		return HandlerFunc(func(o Output) ([]Command, error) {
			if o.Type != protocol.OutputVibrate {
				return nil, Unsupported(o)
			}
			s.set(o)
			if len(s.features) < 2 {
				return []Command{Write(comm.EndpointTx, []byte{0xf3, 0, byte(o.Value)}, true, s.all()...)}, nil
			}
			a, b := s.slot(0), s.slot(1)
			if a == b {
				return []Command{Write(comm.EndpointTx, []byte{0xf3, 0, byte(a)}, true, s.all()...)}, nil
			}
			return []Command{
				Write(comm.EndpointTx, []byte{0xf3, 1, byte(a)}, true, s.features[0]),
				Write(comm.EndpointTx, []byte{0xf3, 2, byte(b)}, true, s.features[1]),
			}, nil
		}), nil
	})
}
