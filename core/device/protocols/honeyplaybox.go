package protocols

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

// Honey Play Box toys exchange frames
//
//	02 a5 5a 55 aa f0 <counter> <type> <cmd> <length:2> <data> 03 <crc:2>
//
// written to tx with response and answered on rx, where an answer may
// span several notifications. The CRC is CRC-16/MODBUS over type to data,
// high byte first; the counter goes up by one with every frame sent.
//
// Connecting sends the handshake (b1 01, data 00 10); the toy answers 90 00
// and a random 16-byte key. A motor command (b1 03) carries one 8-byte
// group per motor, <motor><<4 | 1, 00 05, the run time in 100 ms (60),
// frequency 00 00, strength 0-100, and then signs them: the first 8 bytes
// of the MD5 of type, cmd, length, groups, a fixed secret and the key.
// Every command runs for 6 s, so the state is sent again whenever nothing
// was sent for half a second.
const (
	hpbType          = 0xb1
	hpbCmdHandshake  = 0x01
	hpbCmdMotors     = 0x03
	hpbETX           = 0x03
	hpbOK            = 0x9000
	hpbRunTime       = 60 // 100 ms units
	hpbGroupLen      = 8
	hpbSignatureLen  = 8
	hpbHandshakeTry  = 4
	hpbKeepaliveIdle = 500 * time.Millisecond
	hpbKeepaliveTick = 100 * time.Millisecond
	// hpbMinFrame is a frame without data. hpbMaxData bounds the data of
	// a frame we accept: answers are short, and a corrupt length must not
	// make the collector wait for kilobytes that never come.
	hpbMinFrame = 14
	hpbMaxData  = 1024
)

var (
	hpbHeader = []byte{0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0}
	hpbSecret = []byte{0x8b, 0xe3, 0xfd, 0x04, 0x68, 0x35, 0x09, 0x86, 0x12, 0x1a, 0xbf, 0x03, 0x30, 0xe9, 0xe3, 0xc5}
)

func init() {
	Register("honeyplaybox", func() Protocol { return honeyPlayBoxProto{} })
	RegisterSimulator("honeyplaybox", honeyPlayBoxSim{})
}

// hpbFrame builds a frame.
func hpbFrame(counter, cmd byte, data []byte) []byte {
	body := []byte{hpbType, cmd, byte(len(data) >> 8), byte(len(data))}
	body = append(body, data...)
	crc := crc16Modbus(body)
	f := append(append([]byte(nil), hpbHeader...), counter)
	f = append(f, body...)
	return append(f, hpbETX, byte(crc>>8), byte(crc))
}

// hpbFrames collects frames from notifications.
type hpbFrames struct{ buf []byte }

// push adds received bytes and returns the data of the complete frames
// with a valid CRC.
func (c *hpbFrames) push(b []byte) [][]byte {
	c.buf = append(c.buf, b...)
	var out [][]byte
	for {
		i := bytes.Index(c.buf, hpbHeader)
		if i < 0 {
			// Keep a tail that may be the start of a header.
			if n := len(hpbHeader) - 1; len(c.buf) > n {
				c.buf = append(c.buf[:0], c.buf[len(c.buf)-n:]...)
			}
			return out
		}
		c.buf = c.buf[i:]
		if len(c.buf) < hpbMinFrame {
			return out
		}
		n := int(binary.BigEndian.Uint16(c.buf[9:11]))
		if n > hpbMaxData {
			c.buf = c.buf[1:]
			continue
		}
		total := hpbMinFrame + n
		if len(c.buf) < total {
			return out
		}
		f := c.buf[:total]
		crc := crc16Modbus(f[7 : 11+n])
		if f[11+n] != hpbETX || f[12+n] != byte(crc>>8) || f[13+n] != byte(crc) {
			// Not a frame after all: look for the next header.
			c.buf = c.buf[1:]
			continue
		}
		out = append(out, append([]byte(nil), f[11:11+n]...))
		c.buf = c.buf[total:]
	}
}

type honeyPlayBoxProto struct{}

func (honeyPlayBoxProto) Identify(_ context.Context, link Link) (string, error) {
	return link.Name(), nil
}

func (honeyPlayBoxProto) Init(ctx context.Context, link Link, def *config.Definition) (Handler, error) {
	lis := link.Listen(comm.EndpointRx)
	defer lis.Close()
	if err := link.Subscribe(ctx, comm.EndpointRx); err != nil {
		return nil, fmt.Errorf("honeyplaybox: subscribe rx: %w", err)
	}
	var (
		frames  hpbFrames
		counter byte
	)
	for try := 1; try <= hpbHandshakeTry; try++ {
		if err := link.Write(ctx, comm.EndpointTx, hpbFrame(counter, hpbCmdHandshake, []byte{0x00, 0x10}), true); err != nil {
			return nil, fmt.Errorf("honeyplaybox: handshake: %w", err)
		}
		counter++
		// Each try waits a second longer for the answer.
		deadline := time.Now().Add(time.Duration(try) * time.Second)
		for wait := time.Until(deadline); wait > 0; wait = time.Until(deadline) {
			data, ok, err := awaitNotification(ctx, lis, wait)
			if err != nil {
				return nil, fmt.Errorf("honeyplaybox: handshake: %w", err)
			}
			if !ok {
				break
			}
			for _, d := range frames.push(data) {
				if len(d) < 2 {
					continue
				}
				if code := binary.BigEndian.Uint16(d); code != hpbOK {
					return nil, fmt.Errorf("honeyplaybox: handshake refused with code %04x", code)
				}
				if len(d) < 18 {
					return nil, fmt.Errorf("%w: handshake answer without key (%d bytes)", ErrBadReply, len(d))
				}
				h := &honeyPlayBox{link: link, counter: counter, features: newState(def).features, lastSend: time.Now()}
				copy(h.key[:], d[2:18])
				h.strengths = make([]byte, len(h.features))
				h.task = startTask(h.keepalive)
				return h, nil
			}
		}
	}
	return nil, fmt.Errorf("honeyplaybox: no handshake answer after %d tries", hpbHandshakeTry)
}

type honeyPlayBox struct {
	*task
	link     Link
	key      [16]byte
	features []uint32 // motors, by feature index

	mu        sync.Mutex
	strengths []byte
	counter   byte
	lastSend  time.Time
}

func (h *honeyPlayBox) Output(o Output) ([]Command, error) {
	motor := -1
	for i, f := range h.features {
		if f == o.Feature {
			motor = i
		}
	}
	switch o.Type {
	case protocol.OutputVibrate, protocol.OutputOscillate, protocol.OutputRotate:
	default:
		motor = -1
	}
	if motor < 0 {
		return nil, Unsupported(o)
	}
	h.mu.Lock()
	h.strengths[motor] = byte(abs32(o.Value))
	f := h.next()
	h.mu.Unlock()
	// One feature only: the stop of each motor is a frame of its own, with
	// its own counter value, and must not replace the other's.
	return []Command{Write(comm.EndpointTx, f, true, o.Feature)}, nil
}

// next builds the motor frame of the current state with the next counter
// value; h.mu is held.
func (h *honeyPlayBox) next() []byte {
	groups := make([]byte, 0, hpbGroupLen*len(h.strengths))
	for i, s := range h.strengths {
		groups = append(groups, byte(i)<<4|1, 0x00, 0x05, 0x00, hpbRunTime, 0x00, 0x00, s)
	}
	n := len(groups) + hpbSignatureLen
	sum := md5.New()
	sum.Write([]byte{hpbType, hpbCmdMotors, byte(n >> 8), byte(n)})
	sum.Write(groups)
	sum.Write(hpbSecret)
	sum.Write(h.key[:])
	data := append(groups, sum.Sum(nil)[:hpbSignatureLen]...)
	h.counter++
	h.lastSend = time.Now()
	return hpbFrame(h.counter, hpbCmdMotors, data)
}

// keepalive sends the state again when nothing was sent for a while.
func (h *honeyPlayBox) keepalive(ctx context.Context) {
	tick(ctx, hpbKeepaliveTick, func(ctx context.Context) bool {
		h.mu.Lock()
		if time.Since(h.lastSend) < hpbKeepaliveIdle {
			h.mu.Unlock()
			return true
		}
		f := h.next()
		h.mu.Unlock()
		return !taskGone(ctx, taskWrite(ctx, h.link, comm.EndpointTx, f, true))
	})
}

// honeyPlayBoxSim accepts the handshake with a fixed key, answering in
// 20-byte notifications as a toy with a small MTU does.
type honeyPlayBoxSim struct{ SimBase }

func (honeyPlayBoxSim) Respond(_ *SimState, ep comm.Endpoint, data []byte) []comm.Notification {
	if ep != comm.EndpointTx || len(data) < hpbMinFrame || !bytes.HasPrefix(data, hpbHeader) || data[8] != hpbCmdHandshake {
		return nil
	}
	answer := []byte{0x90, 0x00}
	for i := 1; i <= 16; i++ {
		answer = append(answer, byte(i))
	}
	f := hpbFrame(data[6], hpbCmdHandshake, answer)
	var out []comm.Notification
	for len(f) > 0 {
		n := min(20, len(f))
		out = append(out, comm.Notification{Endpoint: comm.EndpointRx, Data: f[:n]})
		f = f[n:]
	}
	return out
}
