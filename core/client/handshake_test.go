package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

const (
	rsiV4 = `[{"RequestServerInfo":{"Id":*,"ClientName":"bphost test","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`
	rsiV3 = `[{"RequestServerInfo":{"Id":*,"ClientName":"bphost test","MessageVersion":3}}]`
	rdl   = `[{"RequestDeviceList":{"Id":*}}]`
)

func TestHandshake(t *testing.T) {
	refusedBy := func(code protocol.ErrorCode) func(error) bool {
		return func(err error) bool { c, ok := protocol.CodeOf(err); return ok && c == code }
	}
	timedOut := func(err error) bool { return errors.Is(err, ErrTimeout) }
	tests := []struct {
		name        string
		cfg         fakeserver.Config
		opts        []Option
		version     protocol.Version
		refused     []func(error) bool // one check per refused version, v4 first
		reconnected bool
		sessions    [][]string // frames per connection
	}{
		{
			name:     "v4 server",
			cfg:      fakeserver.Config{MaxPingTime: 0},
			version:  protocol.Version4,
			sessions: [][]string{{rsiV4, rdl}},
		},
		{
			name:     "v3 server refusing v4 with an Error (WASM reference)",
			cfg:      fakeserver.Config{Version: protocol.Version3, Refusal: fakeserver.RefuseWithError},
			version:  protocol.Version3,
			refused:  []func(error) bool{refusedBy(protocol.ErrorMsg)},
			sessions: [][]string{{rsiV4, rsiV3, rdl}},
		},
		{
			name:     "v3 server ignoring v4 (buttplug-rs 7-9)",
			cfg:      fakeserver.Config{Version: protocol.Version3, Refusal: fakeserver.RefuseSilently},
			opts:     []Option{WithHandshakeTimeout(50 * time.Millisecond)},
			version:  protocol.Version3,
			refused:  []func(error) bool{timedOut},
			sessions: [][]string{{rsiV4, rsiV3, rdl}},
		},
		{
			name:        "v3 server closing after refusing v4",
			cfg:         fakeserver.Config{Version: protocol.Version3, Refusal: fakeserver.RefuseAndClose},
			version:     protocol.Version3,
			refused:     []func(error) bool{refusedBy(protocol.ErrorMsg)},
			reconnected: true,
			sessions:    [][]string{{rsiV4}, {rsiV3, rdl}},
		},
		{
			name:        "v3 server refusing a second handshake on the connection",
			cfg:         fakeserver.Config{Version: protocol.Version3, Refusal: fakeserver.RefuseAndLatch},
			version:     protocol.Version3,
			refused:     []func(error) bool{refusedBy(protocol.ErrorMsg), refusedBy(protocol.ErrorInit)},
			reconnected: true,
			sessions:    [][]string{{rsiV4, rsiV3}, {rsiV3, rdl}},
		},
		{
			name:     "pinned v3 against a v4 server",
			cfg:      fakeserver.Config{},
			opts:     []Option{WithVersion(protocol.Version3)},
			version:  protocol.Version3,
			sessions: [][]string{{rsiV3, rdl}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg, tt.opts...)
			if err := h.c.Connect(h.ctx, h.dial); err != nil {
				t.Fatalf("Connect: %v", err)
			}
			info, ok := h.c.ServerInfo()
			if !ok || !h.c.Connected() {
				t.Fatal("not connected after Connect")
			}
			if info.Version != tt.version || info.Name != "fake server" {
				t.Errorf("ServerInfo = %+v, want version %s from fake server", info, tt.version)
			}
			if len(info.Refused) != len(tt.refused) {
				t.Fatalf("Refused = %+v, want %d refusal(s)", info.Refused, len(tt.refused))
			}
			for i, check := range tt.refused {
				if !check(info.Refused[i].Err) {
					t.Errorf("refusal %d: %v", i, info.Refused[i].Err)
				}
			}
			if len(info.Refused) > 0 && info.Refused[0].Version != protocol.Version4 {
				t.Errorf("first refused version %s, want v4", info.Refused[0].Version)
			}
			if info.Reconnected != tt.reconnected {
				t.Errorf("Reconnected = %v, want %v", info.Reconnected, tt.reconnected)
			}
			if got := h.srv.Connections(); got != len(tt.sessions) {
				t.Fatalf("%d connections, want %d", got, len(tt.sessions))
			}
			for _, frames := range tt.sessions {
				s, err := h.srv.NextSession(h.ctx)
				if err != nil {
					t.Fatal(err)
				}
				h.sess = s
				for _, want := range frames {
					h.expect(want)
				}
			}
			ev := expectEvent[Connected](t, h.ctx, h.events)
			deepEqual(t, "Connected.Info", ev.Info, info)
		})
	}
}

func TestHandshakeFailures(t *testing.T) {
	t.Run("absent server", func(t *testing.T) {
		h := newHarness(t, fakeserver.Config{Absent: true})
		err := h.c.Connect(h.ctx, h.dial)
		if !errors.Is(err, ErrServerAbsent) {
			t.Fatalf("Connect = %v, want ErrServerAbsent", err)
		}
		if h.c.Connected() {
			t.Error("Connected after a failed Connect")
		}
	})
	t.Run("pinned v4 against a v3 server", func(t *testing.T) {
		h := newHarness(t, fakeserver.Config{Version: protocol.Version3}, WithVersion(protocol.Version4))
		err := h.c.Connect(h.ctx, h.dial)
		var perr *protocol.Error
		if !errors.Is(err, ErrHandshake) || !errors.As(err, &perr) {
			t.Fatalf("Connect = %v, want ErrHandshake with the server's Error", err)
		}
		if h.srv.Connections() != 1 {
			t.Errorf("%d connections, want 1 (no fallback when pinned)", h.srv.Connections())
		}
	})
	t.Run("pinned unsupported version", func(t *testing.T) {
		h := newHarness(t, fakeserver.Config{}, WithVersion(protocol.Version2))
		if err := h.c.Connect(h.ctx, h.dial); !errors.Is(err, ErrHandshake) {
			t.Fatalf("Connect = %v, want ErrHandshake", err)
		}
	})
	t.Run("server answers nothing", func(t *testing.T) {
		// Each attempt's deadline also bounds sending its request; a short
		// one can expire before the request goes out on a loaded machine.
		c := New("bphost test", WithHandshakeTimeout(500*time.Millisecond))
		a, b := connector.Pipe(0)
		defer b.Close()
		err := c.Connect(testCtx(t), a)
		if !errors.Is(err, ErrHandshake) || !errors.Is(err, ErrTimeout) {
			t.Fatalf("Connect = %v, want ErrHandshake after a timeout", err)
		}
		// v4 and v3 on the connection; the pipe cannot reopen, which ends
		// the attempts.
		if !strings.Contains(err.Error(), "reconnecting for spec v3") {
			t.Errorf("error %q does not say the reconnect failed", err)
		}
		for i, want := range []string{`"ProtocolVersionMajor":4`, `"MessageVersion":3`} {
			f, err := b.Recv(testCtx(t))
			if err != nil || !strings.Contains(string(f), want) {
				t.Errorf("frame %d = %s, %v; want %s", i, f, err, want)
			}
		}
	})
	t.Run("refusal with Id 0", func(t *testing.T) {
		// The spec's Error for a request whose Id could not be read: taken
		// as the refusal, without waiting for the (here endless) timeout.
		c := New("bphost test", WithHandshakeTimeout(time.Hour))
		a, b := connector.Pipe(0)
		defer b.Close()
		ctx := testCtx(t)
		go func() {
			for _, reply := range []string{
				`[{"Error":{"Id":0,"ErrorMessage":"could not read the message","ErrorCode":3}}]`,
				`[{"ServerInfo":{"Id":2,"MessageVersion":3,"MaxPingTime":0,"ServerName":"spec server"}}]`,
				`[{"DeviceList":{"Id":3,"Devices":[]}}]`,
			} {
				if _, err := b.Recv(ctx); err != nil {
					return
				}
				_ = b.Send(ctx, []byte(reply))
			}
		}()
		if err := c.Connect(ctx, a); err != nil {
			t.Fatal(err)
		}
		defer c.Disconnect(ctx)
		info, _ := c.ServerInfo()
		if code, ok := protocol.CodeOf(info.Refused[0].Err); info.Version != protocol.Version3 || !ok || code != protocol.ErrorMsg {
			t.Errorf("ServerInfo %+v", info)
		}
	})
	t.Run("server speaks only v2", func(t *testing.T) {
		c := New("bphost test", WithVersion(protocol.Version3))
		a, b := connector.Pipe(0)
		defer b.Close()
		ctx := testCtx(t)
		go func() {
			if _, err := b.Recv(ctx); err == nil {
				_ = b.Send(ctx, []byte(`[{"ServerInfo":{"Id":1,"MessageVersion":2,"MaxPingTime":0,"ServerName":"old"}}]`))
			}
		}()
		err := c.Connect(ctx, a)
		if !errors.Is(err, ErrHandshake) || !errors.Is(err, ErrUnexpectedReply) || c.Connected() {
			t.Fatalf("Connect = %v, want ErrHandshake for a v2 answer", err)
		}
	})
	t.Run("caller cancels", func(t *testing.T) {
		h := newHarness(t, fakeserver.Config{Version: protocol.Version3, Refusal: fakeserver.RefuseSilently})
		ctx, cancel := context.WithTimeout(h.ctx, 30*time.Millisecond)
		defer cancel()
		err := h.c.Connect(ctx, h.dial)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
			t.Fatalf("Connect = %v, want the caller's deadline (not the handshake timeout)", err)
		}
		if h.c.Connected() {
			t.Error("connected")
		}
	})
	t.Run("already connected", func(t *testing.T) {
		h := start(t, fakeserver.Config{})
		if err := h.c.Connect(h.ctx, h.srv.Connector()); !errors.Is(err, ErrAlreadyConnected) {
			t.Fatalf("second Connect = %v, want ErrAlreadyConnected", err)
		}
	})
}

func TestServerInfoMaxPingTime(t *testing.T) {
	h := start(t, fakeserver.Config{MaxPingTime: 1500}, WithPing(false))
	info, _ := h.c.ServerInfo()
	if info.MaxPingTime != 1500*time.Millisecond {
		t.Errorf("MaxPingTime = %v, want 1.5s", info.MaxPingTime)
	}
}
