package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

// Bad frames from the server become ProtocolError events; the connection
// stays up and no reply is lost.
func TestMalformedFrames(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	skipUntil[Connected](t, h.ctx, h.events)
	for range 3 {
		expectEvent[DeviceAdded](t, h.ctx, h.events)
	}
	tests := []struct {
		name  string
		frame string
		want  error
	}{
		{"not JSON", `{{{`, protocol.ErrMalformedJSON},
		{"not an array", `{"Ok":{"Id":1}}`, protocol.ErrNotArray},
		{"empty array", `[]`, protocol.ErrEmptyFrame},
		{"trailing garbage", `[{"ScanningFinished":{"Id":0}}] x`, protocol.ErrTrailingData},
		{"not an object", `[42]`, protocol.ErrNotObject},
		{"unknown message", `[{"Bogus":{"Id":0}}]`, protocol.ErrUnknownMessage},
		{"wrong type", `[{"ScanningFinished":{"Id":"zero"}}]`, protocol.ErrWrongType},
		{"v3 message on v4", `[{"DeviceAdded":{"Id":0,"DeviceIndex":9,"DeviceName":"x","DeviceMessages":{}}}]`, protocol.ErrWrongVersion},
		{"event with an id", `[{"ScanningFinished":{"Id":5}}]`, protocol.ErrInvalidID},
		{"missing field", `[{"ScanningFinished":{}}]`, protocol.ErrMissingField},
		{"unknown reading type", `[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Smell":{"Value":1}}}}]`, protocol.ErrInvalidEnum},
		{"bad device list key", `[{"DeviceList":{"Id":0,"Devices":{"x":{}}}}]`, protocol.ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.sess.SendRaw(tt.frame); err != nil {
				t.Fatal(err)
			}
			pe := expectEvent[ProtocolError](t, h.ctx, h.events)
			if !errors.Is(pe.Err, ErrMalformed) || !errors.Is(pe.Err, tt.want) {
				t.Errorf("ProtocolError %v, want ErrMalformed and %v", pe.Err, tt.want)
			}
		})
	}
	h.t = t

	// Unexpected but well-formed messages.
	for _, frame := range []string{
		`[{"Ok":{"Id":0}}]`, // an Ok for nothing
		`[{"InputReading":{"Id":0,"DeviceIndex":42,"FeatureIndex":0,"Reading":{"Battery":{"Value":1}}}}]`,
		`[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":42,"Reading":{"Battery":{"Value":1}}}}]`,
		`[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":0,"Reading":{"Battery":{"Value":1}}}}]`, // feature 0 has no battery
		`[{"DeviceList":{"Id":0,"Devices":{"3":{"DeviceIndex":4,"DeviceName":"x","DeviceMessageTimingGap":0,"DeviceFeatures":{}}}}}]`,
	} {
		if err := h.sess.SendRaw(frame); err != nil {
			t.Fatal(err)
		}
		pe := expectEvent[ProtocolError](t, h.ctx, h.events)
		if !errors.Is(pe.Err, ErrUnexpectedReply) && !errors.Is(pe.Err, ErrMalformed) {
			t.Errorf("%s: ProtocolError %v", frame, pe.Err)
		}
	}
	// The DeviceList above listed no valid device: every device left.
	for range 3 {
		expectEvent[DeviceRemoved](t, h.ctx, h.events)
	}
	if !h.c.Connected() {
		t.Fatal("bad frames disconnected the client")
	}
}

func TestBadMessageNextToAReply(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	skipUntil[Connected](t, h.ctx, h.events)
	for range 3 {
		expectEvent[DeviceAdded](t, h.ctx, h.events)
	}
	// The reply shares its frame with a bad message, before and after it.
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(*protocol.StartScanning); ok {
			_ = s.SendRaw(fmt.Sprintf(`[{"Bogus":{"Id":0}},{"Ok":{"Id":%d}},{"Ping":"x"}]`, m.MessageID()))
			return nil, true
		}
		return nil, false
	})
	if err := h.c.StartScanning(h.ctx); err != nil {
		t.Fatalf("StartScanning lost its reply: %v", err)
	}
	for range 2 {
		if pe := expectEvent[ProtocolError](t, h.ctx, h.events); !errors.Is(pe.Err, ErrMalformed) {
			t.Errorf("ProtocolError %v", pe.Err)
		}
	}
}

// A reply that cannot be decoded fails its request at once instead of
// letting it time out.
func TestMalformedReplyFailsItsRequest(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(*protocol.InputCmd); ok {
			_ = s.SendRaw(fmt.Sprintf(`[{"InputReading":{"Id":%d,"DeviceIndex":0}}]`, m.MessageID()))
			return nil, true
		}
		return nil, false
	})
	_, err := h.device(0).Battery(h.ctx)
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, protocol.ErrMissingField) {
		t.Fatalf("Battery = %v, want ErrMalformed", err)
	}
	skipUntil[ProtocolError](t, h.ctx, h.events)
	if err := h.device(0).Vibrate(h.ctx, Fraction(0.2)); err != nil {
		t.Fatal(err)
	}
}

// A newer server's extra fields and unknown output types do not break the
// client.
func TestLenientWithNewerServers(t *testing.T) {
	h := start(t, fakeserver.Config{})
	skipUntil[Connected](t, h.ctx, h.events)
	frame := `[{"DeviceList":{"Id":0,"Future":true,"Devices":{"0":{"DeviceIndex":0,"DeviceName":"Future Toy","DeviceMessageTimingGap":0,"NewField":1,` +
		`"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescriptor":"old spelling","Output":{"Vibrate":{"Value":[0,20]},"Tickle":{"Value":[0,3]}},` +
		`"Input":{"RSSI":{"Value":[-100,0],"Command":["Read","Teleport"]}}}}}}}}]`
	if err := h.sess.SendRaw(frame); err != nil {
		t.Fatal(err)
	}
	d := expectEvent[DeviceAdded](t, h.ctx, h.events).Device
	want := []Feature{{Index: 0, Description: "old spelling",
		Outputs: []Output{{Type: protocol.OutputVibrate, Range: rng(0, 20)}},
		Inputs:  []Input{{Type: protocol.InputRssi, Ranges: protocol.RangeList{rng(-100, 0)}, Commands: []protocol.InputCommandType{read}}},
	}}
	deepEqual(t, "features", d.Features(), want)
	if err := d.Vibrate(h.ctx, Fraction(1)); err != nil {
		t.Fatal(err)
	}
	h.expect(`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":20}}}}]`)
}

// injector is the fake server's connector with one frame slipped in after
// the next one the server sends: a frame longer than any transport carries,
// which only a connector of someone else's could deliver.
type injector struct {
	*fakeserver.Dialer
	mu      sync.Mutex
	pending []byte
	armed   bool
}

func (i *injector) Recv(ctx context.Context) ([]byte, error) {
	i.mu.Lock()
	if i.armed && i.pending != nil {
		f := i.pending
		i.pending, i.armed = nil, false
		i.mu.Unlock()
		return f, nil
	}
	i.mu.Unlock()
	f, err := i.Dialer.Recv(ctx)
	i.mu.Lock()
	if i.pending != nil {
		i.armed = true
	}
	i.mu.Unlock()
	return f, err
}

func TestOversizedFrame(t *testing.T) {
	h := newHarness(t, fakeserver.Config{})
	inj := &injector{Dialer: h.dial}
	if err := h.c.Connect(h.ctx, inj); err != nil {
		t.Fatal(err)
	}
	h.sess = h.lastSession()
	skipUntil[Connected](t, h.ctx, h.events)
	inj.mu.Lock()
	inj.pending = []byte(`[{"Error":{"Id":0,"ErrorCode":0,"ErrorMessage":"` + strings.Repeat("x", protocol.MaxFrameSize) + `"}}]`)
	inj.mu.Unlock()
	// The frame that carries the oversize one in behind it.
	if err := h.sess.SendRaw(`[{"ScanningFinished":{"Id":0}}]`); err != nil {
		t.Fatal(err)
	}
	expectEvent[ScanningFinished](t, h.ctx, h.events)
	if pe := expectEvent[ProtocolError](t, h.ctx, h.events); !errors.Is(pe.Err, protocol.ErrFrameTooLarge) {
		t.Errorf("ProtocolError %v", pe.Err)
	}
	// The session goes on.
	if !h.c.Connected() {
		t.Fatal("disconnected by an oversize frame")
	}
}

// The fake server's own pipe refuses such a frame: no transport carries one.
func TestOversizedFrameRefusedByPipe(t *testing.T) {
	h := start(t, fakeserver.Config{})
	err := h.sess.SendRaw(`[{"Error":{"Id":0,"ErrorCode":0,"ErrorMessage":"` + strings.Repeat("x", protocol.MaxFrameSize) + `"}}]`)
	if !errors.Is(err, protocol.ErrFrameTooLarge) {
		t.Fatalf("send of an oversize frame: %v", err)
	}
}
