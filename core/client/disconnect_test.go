package client

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// expectSessionEnd checks the events of a session's end: DeviceRemoved
// for each device, then exactly one Disconnected wrapping cause.
func expectSessionEnd(t *testing.T, h *harness, devices []*Device, cause error) Disconnected {
	t.Helper()
	for _, d := range devices {
		if got := expectEvent[DeviceRemoved](t, h.ctx, h.events).Device; got != d {
			t.Errorf("DeviceRemoved %v, want %v", got, d)
		}
	}
	ev := expectEvent[Disconnected](t, h.ctx, h.events)
	if !errors.Is(ev.Err, ErrDisconnected) || !errors.Is(ev.Err, cause) {
		t.Errorf("Disconnected.Err = %v, want a disconnect caused by %v", ev.Err, cause)
	}
	for _, d := range devices {
		if d.Connected() {
			t.Errorf("%v still connected", d)
		}
	}
	if h.c.Connected() || len(h.c.Devices()) != 0 {
		t.Errorf("client connected=%v with %d devices after the end", h.c.Connected(), len(h.c.Devices()))
	}
	return ev
}

func TestServerClosesMidRequest(t *testing.T) {
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		t.Run(v.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: v, DevicesV4: devicesV4(), DevicesV3: devicesV3()})
			skipUntil[Connected](t, h.ctx, h.events)
			devs := h.c.Devices()
			for range devs {
				expectEvent[DeviceAdded](t, h.ctx, h.events)
			}
			ids := withhold[*protocol.StartScanning](h.sess)
			const pending = 5
			errs := make(chan error, pending)
			for range pending {
				go func() { errs <- h.c.StartScanning(h.ctx) }()
			}
			for range pending {
				recvID(t, h.ctx, ids)
			}
			h.sess.Close()
			for range pending {
				err := <-errs
				if !errors.Is(err, ErrDisconnected) || !errors.Is(err, connector.ErrPeerClosed) {
					t.Errorf("pending request = %v, want a disconnect by the peer", err)
				}
			}
			expectSessionEnd(t, h, devs, connector.ErrPeerClosed)

			old := devs[0]
			if err := old.Vibrate(h.ctx, Fraction(0.5)); !errors.Is(err, ErrDeviceGone) || !errors.Is(err, connector.ErrPeerClosed) {
				t.Errorf("Vibrate on a device of the ended session = %v", err)
			}
			if err := h.c.StartScanning(h.ctx); !errors.Is(err, ErrNotConnected) {
				t.Errorf("StartScanning after the end = %v, want ErrNotConnected", err)
			}

			// The same client connects again through the same connector.
			h.connect()
			expectEvent[Connected](t, h.ctx, h.events)
			for range devs {
				expectEvent[DeviceAdded](t, h.ctx, h.events)
			}
			nd := h.device(old.Index())
			if nd == old || !nd.Connected() || old.Connected() {
				t.Errorf("after reconnect: new device %p connected=%v, old %p connected=%v", nd, nd.Connected(), old, old.Connected())
			}
			if err := nd.Vibrate(h.ctx, Fraction(0.5)); err != nil {
				t.Fatal(err)
			}
			if h.dial.Connects() != 2 {
				t.Errorf("%d connects, want 2", h.dial.Connects())
			}
		})
	}
}

func TestTransportErrorCause(t *testing.T) {
	h := start(t, fakeserver.Config{})
	skipUntil[Connected](t, h.ctx, h.events)
	h.sess.CloseWithCause(io.ErrUnexpectedEOF)
	expectSessionEnd(t, h, nil, io.ErrUnexpectedEOF)
}

func TestClientDisconnect(t *testing.T) {
	for _, tt := range []struct {
		version protocol.Version
		stop    string
	}{
		{protocol.Version4, `[{"StopCmd":{"Id":*}}]`},
		{protocol.Version3, `[{"StopAllDevices":{"Id":*}}]`},
	} {
		t.Run(tt.version.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: tt.version, DevicesV4: devicesV4(), DevicesV3: devicesV3()})
			skipUntil[Connected](t, h.ctx, h.events)
			devs := h.c.Devices()
			for range devs {
				expectEvent[DeviceAdded](t, h.ctx, h.events)
			}
			if err := h.c.Disconnect(h.ctx); err != nil {
				t.Fatal(err)
			}
			h.expect(tt.stop)
			expectSessionEnd(t, h, devs, connector.ErrClosed)
			// A second Disconnect does nothing: the next event is the
			// next session's.
			if err := h.c.Disconnect(h.ctx); err != nil {
				t.Fatal(err)
			}
			h.connect()
			expectEvent[Connected](t, h.ctx, h.events)
		})
	}
}

// A server that stops answering does not hold Disconnect up for long.
func TestDisconnectSilentServer(t *testing.T) {
	h := start(t, fakeserver.Config{})
	withhold[*protocol.StopCmd](h.sess)
	if err := h.c.Disconnect(h.ctx); err != nil {
		t.Fatal(err)
	}
	skipUntil[Disconnected](t, h.ctx, h.events)
}

func TestDisconnectCancelsConnect(t *testing.T) {
	h := newHarness(t, fakeserver.Config{Version: protocol.Version3, Refusal: fakeserver.RefuseSilently})
	errc := make(chan error, 1)
	go func() { errc <- h.c.Connect(h.ctx, h.dial) }()
	s, err := h.srv.NextSession(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	h.sess = s
	h.expect(rsiV4) // Connect is now waiting for a reply that never comes
	if err := h.c.Disconnect(h.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect = %v, want it cancelled", err)
	}
	if h.c.Connected() {
		t.Error("connected")
	}
}

func TestServerPingTimeoutError(t *testing.T) {
	h := start(t, fakeserver.Config{MaxPingTime: 100}, WithPing(false))
	skipUntil[Connected](t, h.ctx, h.events)
	if err := h.sess.Send(protocol.NewError(0, protocol.ErrorPing, "PingedOut")); err != nil {
		t.Fatal(err)
	}
	expectEvent[ServerError](t, h.ctx, h.events)
	ev := expectSessionEnd(t, h, nil, ErrPingTimeout)
	if code, ok := protocol.CodeOf(ev.Err); !ok || code != protocol.ErrorPing {
		t.Errorf("Disconnected.Err %v does not carry ERROR_PING", ev.Err)
	}
}

// Concurrent Connect, Disconnect and requests must not race.
func TestConcurrentConnectDisconnect(t *testing.T) {
	h := newHarness(t, fakeserver.Config{DevicesV4: devicesV4()})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				if err := h.c.Connect(h.ctx, h.dial); err != nil && !errors.Is(err, ErrAlreadyConnected) && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrDisconnected) && !errors.Is(err, connector.ErrAlreadyConnected) {
					t.Errorf("Connect: %v", err)
				}
				for _, d := range h.c.Devices() {
					_ = d.Vibrate(h.ctx, Fraction(0.5))
				}
				_ = h.c.Disconnect(h.ctx)
			}
		})
	}
	wg.Wait()
	// The racing goroutines may each have cut the others' handshakes short;
	// one more session, alone, must connect.
	if err := h.c.Connect(h.ctx, h.dial); err != nil {
		t.Fatalf("Connect after the race: %v", err)
	}
	_ = h.c.Disconnect(h.ctx)
	// Every session that reached Connected ended with one Disconnected.
	connected, disconnected := 0, 0
	h.c.events.publish(mark{})
	for {
		ev := nextEvent(t, h.ctx, h.events)
		if _, ok := ev.(mark); ok {
			break
		}
		switch ev.(type) {
		case Connected:
			connected++
		case Disconnected:
			disconnected++
		case Missed:
			t.Fatal("events missed; raise the buffer")
		}
	}
	if connected == 0 || connected != disconnected {
		t.Errorf("%d Connected and %d Disconnected events", connected, disconnected)
	}
}
