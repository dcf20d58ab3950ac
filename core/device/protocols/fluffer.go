package protocols

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Fluffer: every packet is AES-128-ECB encrypted (PKCS#7 padding) with a
// fixed key. Devices that advertise manufacturer data of company 0x684a
// want an authentication first: a5 01 08 <4 random bytes> <first 4 bytes of
// SHA-256(random, unscrambled advertisement)>, answered a5 01 01 00, then
// 82 0e 02 00 01. Motors: 82 0f 05 00 <m0> <m1> 00 00 (rotation adds 100
// for counter-clockwise).

var flufferKey = []byte("jdk#Flu%y6fer32f")

const flufferCompany = 0x684a

func flufferEncrypt(data []byte) []byte { return ecbEncrypt(flufferKey, data) }

func flufferDecrypt(data []byte) ([]byte, error) { return ecbDecrypt(flufferKey, data, "fluffer") }

// flufferAdvertised unscrambles the 4 identifying bytes of the
// advertisement (company id little-endian, then the data).
func flufferAdvertised(adv []byte) []byte {
	if len(adv) < 3 {
		return nil
	}
	key := adv[2] ^ adv[1]
	var out []byte
	for i := 3; i < len(adv) && len(out) < 4; i++ {
		b := adv[i]
		if b != 0 && b != key {
			b ^= key
		}
		out = append(out, b)
	}
	return out
}

func init() {
	Register("fluffer", func() Protocol { return fluffer{} })
	RegisterSimulator("fluffer", flufferSim{})
}

type fluffer struct{}

func (fluffer) Identify(_ context.Context, link Link) (string, error) { return link.Name(), nil }

func (fluffer) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, err
	}
	if md, ok := link.Advertisement().ManufacturerData[flufferCompany]; ok {
		adv := binary.LittleEndian.AppendUint16(nil, flufferCompany)
		adv = append(adv, md...)
		random := make([]byte, 4)
		_, _ = rand.Read(random)
		h := sha256.New()
		h.Write(random)
		h.Write(flufferAdvertised(adv))
		auth := append([]byte{0xa5, 0x01, 0x08}, random...)
		auth = append(auth, h.Sum(nil)[:4]...)
		if err := link.Write(ctx, comm.EndpointTx, flufferEncrypt(auth), false); err != nil {
			return nil, err
		}
		select {
		case n, ok := <-lis.C():
			if !ok {
				return nil, fmt.Errorf("fluffer: %w during authentication", comm.ErrDisconnected)
			}
			dec, err := flufferDecrypt(n)
			if err != nil || string(dec) != string([]byte{0xa5, 0x01, 0x01, 0x00}) {
				return nil, fmt.Errorf("fluffer: %w: authentication refused", ErrBadReply)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err := link.Write(ctx, comm.EndpointTx, flufferEncrypt([]byte{0x82, 0x0e, 0x02, 0x00, 0x01}), false); err != nil {
			return nil, err
		}
	}
	return combined(def, comm.EndpointTx, false, isType(protocol.OutputVibrate, protocol.OutputRotate, protocol.OutputOscillate), func(s *state) []byte {
		m := func(f uint32) byte {
			v := s.get(f)
			if v < 0 {
				return byte(-v + 100)
			}
			return byte(v)
		}
		return flufferEncrypt([]byte{0x82, 0x0f, 0x05, 0x00, m(0), m(1), 0x00, 0x00})
	}), nil
}

// flufferSim accepts any authentication.
type flufferSim struct{ SimBase }

func (flufferSim) Respond(_ *SimState, ep comm.Endpoint, data []byte) []comm.Notification {
	dec, err := flufferDecrypt(data)
	if ep != comm.EndpointTx || err != nil || len(dec) < 3 || dec[0] != 0xa5 || dec[1] != 0x01 {
		return nil
	}
	return []comm.Notification{{Endpoint: comm.EndpointRx, Data: flufferEncrypt([]byte{0xa5, 0x01, 0x01, 0x00})}}
}
