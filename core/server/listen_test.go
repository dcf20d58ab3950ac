package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/core/server/listen"
)

// wsFrames is the client side of a websocket as a connector.FrameConn.
type wsFrames struct{ ws *websocket.Conn }

func (w wsFrames) ReadFrame() ([]byte, error) {
	_, b, err := w.ws.ReadMessage()
	if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		return nil, io.EOF
	}
	return b, err
}

func (w wsFrames) WriteFrame(ctx context.Context, f []byte) error {
	dl, _ := ctx.Deadline()
	_ = w.ws.SetWriteDeadline(dl)
	return w.ws.WriteMessage(websocket.TextMessage, f)
}

func (w wsFrames) Close() error { return w.ws.Close() }

// dialer returns a client connector for a listener's URL.
func dialer(t *testing.T, rawURL string) connector.Connector {
	t.Helper()
	scheme, addr, _ := strings.Cut(rawURL, "://")
	switch scheme {
	case "ws":
		return stream.New(func(ctx context.Context) (connector.FrameConn, error) {
			ws, _, err := websocket.DefaultDialer.DialContext(ctx, rawURL, nil)
			if err != nil {
				return nil, stream.DialError(rawURL, err)
			}
			return wsFrames{ws}, nil
		})
	case "tcp", "unix":
		return stream.New(stream.DialNet(scheme, addr, rawURL))
	}
	t.Fatalf("no dialer for %s", rawURL)
	return nil
}

// serve runs srv on the URLs until the test ends, and returns the bound
// listeners.
func serve(t *testing.T, srv *server.Server, urls ...string) []*listen.Listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var ls []*listen.Listener
	for _, u := range urls {
		l, err := listen.Listen(ctx, u)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	done := make(chan error, 1)
	go func() { done <- listen.Serve(ctx, srv, ls...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ls
}

func socketPath(t *testing.T) string {
	// Unix socket paths are short (104 bytes on macOS); t.TempDir can be
	// longer.
	dir, err := os.MkdirTemp("", "bph")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// One server, three listeners: the Go client drives a toy through each.
func TestListenersServeClients(t *testing.T) {
	r := newRig(t, rigOpts{})
	sd := r.connected("Lovense Hush")
	ls := serve(t, r.srv, "ws://127.0.0.1:0", "tcp://127.0.0.1:0", "unix://"+socketPath(t))
	for i, l := range ls {
		t.Run(strings.SplitN(l.URL(), ":", 2)[0], func(t *testing.T) {
			ctx := ctxT(t)
			c := client.New("listener test")
			if err := c.Connect(ctx, dialer(t, l.URL())); err != nil {
				t.Fatal(err)
			}
			devs := c.Devices()
			if len(devs) != 1 {
				t.Fatalf("devices %v", devs)
			}
			if err := devs[0].Vibrate(ctx, client.Steps(int32(3+i))); err != nil {
				t.Fatal(err)
			}
			hasWrite(t, sd, "Vibrate:"+string(rune('3'+i))+";")
			if err := c.Disconnect(ctx); err != nil {
				t.Fatal(err)
			}
			lastWrite(t, sd, "Vibrate:0;")
			r.sessionEvent(server.SessionEnded, i+1)
		})
	}
}

func TestListenURLs(t *testing.T) {
	ctx := ctxT(t)
	good := []struct{ url, prefix string }{
		{"ws://:0", "ws://127.0.0.1:"},
		{"ws://127.0.0.1:0/buttplug", "ws://127.0.0.1:"},
		{"tcp://localhost:0", "tcp://127.0.0.1:"},
		{"tcp://[::1]:0", "tcp://[::1]:"},
	}
	for _, g := range good {
		l, err := listen.Listen(ctx, g.url)
		if err != nil {
			if strings.Contains(g.url, "::1") {
				t.Logf("no IPv6 loopback here: %v", err)
				continue
			}
			t.Fatalf("%s: %v", g.url, err)
		}
		if !strings.HasPrefix(l.URL(), g.prefix) {
			t.Errorf("%s bound %s, want %s...", g.url, l.URL(), g.prefix)
		}
		l.Close()
	}
	bad := []string{"http://127.0.0.1:0", "wss://127.0.0.1:0", "tcp://127.0.0.1:0/x", "unix://relative", "unix:", "ws://127.0.0.1:99999", "::"}
	for _, b := range bad {
		if l, err := listen.Listen(ctx, b); err == nil {
			l.Close()
			t.Errorf("%s accepted", b)
		}
	}
	// A port in use is an error, not a silent second server.
	l, err := listen.Listen(ctx, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l2, err := listen.Listen(ctx, l.URL()); err == nil {
		l2.Close()
		t.Fatalf("%s bound twice", l.URL())
	}
}

// A socket file left by a dead server is replaced; a live one is not; the
// socket is its owner's only.
func TestUnixSocketFile(t *testing.T) {
	ctx := ctxT(t)
	path := socketPath(t)
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	l, err := listen.Listen(ctx, "unix://"+path)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	defer l.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v", fi.Mode().Perm())
	}
	if l2, err := listen.Listen(ctx, "unix://"+path); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		if l2 != nil {
			l2.Close()
		}
		t.Fatalf("live socket taken over: %v", err)
	}
}

// Ending Serve ends the session, stops the devices and leaves no goroutine
// behind (goleak checks the package).
func TestServeShutdown(t *testing.T) {
	r := newRig(t, rigOpts{})
	sd := r.connected("Lovense Hush")
	ctx, cancel := context.WithCancel(ctxT(t))
	l, err := listen.Listen(ctx, "ws://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- listen.Serve(ctx, r.srv, l) }()
	c := client.New("shutdown test")
	sub := c.Subscribe(0)
	defer sub.Close()
	if err := c.Connect(ctx, dialer(t, l.URL())); err != nil {
		t.Fatal(err)
	}
	if err := c.Devices()[0].Vibrate(ctx, client.Steps(9)); err != nil {
		t.Fatal(err)
	}
	hasWrite(t, sd, "Vibrate:9;")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	lastWrite(t, sd, "Vibrate:0;")
	for ev := range sub.C() {
		if d, ok := ev.(client.Disconnected); ok {
			t.Logf("client saw %v", d.Err)
			break
		}
	}
	if _, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		t.Fatal("still listening")
	}
}

// oversizePing is a valid Ping frame padded past connector.MaxFrame.
func oversizePing(id int) []byte {
	body := fmt.Sprintf(`{"Ping":{"Id":%d}}]`, id)
	f := make([]byte, 0, connector.MaxFrame+1)
	f = append(f, '[')
	for len(f) < connector.MaxFrame+1-len(body) {
		f = append(f, ' ')
	}
	return append(f, body...)
}

// On every transport the server listens on, a frame over connector.MaxFrame
// is dropped and answered with ERROR_MSG, and the session goes on: a Ping
// after it is answered.
func TestFrameTooLargeAnswered(t *testing.T) {
	r := newRig(t, rigOpts{})
	ls := serve(t, r.srv, "ws://127.0.0.1:0", "tcp://127.0.0.1:0", "unix://"+socketPath(t))
	for i, l := range ls {
		scheme, addr, _ := strings.Cut(l.URL(), "://")
		t.Run(scheme, func(t *testing.T) {
			ctx := ctxT(t)
			var conn connector.FrameConn
			if scheme == "ws" {
				ws, _, err := websocket.DefaultDialer.DialContext(ctx, l.URL(), nil)
				if err != nil {
					t.Fatal(err)
				}
				conn = wsFrames{ws}
			} else {
				nc, err := net.Dial(scheme, addr)
				if err != nil {
					t.Fatal(err)
				}
				conn = stream.NewNetConn(nc) // writes without the connector's check
			}
			defer conn.Close()
			for _, f := range [][]byte{
				[]byte(`[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":3}}]`),
				oversizePing(2),
				[]byte(`[{"Ping":{"Id":3}}]`),
			} {
				if err := conn.WriteFrame(ctx, f); err != nil {
					t.Fatal(err)
				}
			}
			for i, want := range []string{`"ServerInfo"`, `"Error"`, `{"Ok":{"Id":3}}`} {
				f, err := conn.ReadFrame()
				if err != nil || !strings.Contains(string(f), want) {
					t.Fatalf("reply %d: got %.200s, %v; want %s", i, f, err, want)
				}
				if want == `"Error"` {
					e, ok := asErrorReply(string(f))
					if !ok || e.Code != int(protocol.ErrorMsg) || !strings.Contains(e.Message, "frame too large") {
						t.Fatalf("got %s, want ERROR_MSG for the oversize frame", f)
					}
				}
			}
			conn.Close()
			r.sessionEvent(server.SessionEnded, i+1)
		})
	}
}

// The in-process connector refuses a frame over connector.MaxFrame before
// it reaches the server, as every connector does, and the session goes
// on.
func TestFrameTooLargeInProcess(t *testing.T) {
	r := newRig(t, rigOpts{})
	c := r.raw()
	c.send(`[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":3}}]`)
	c.until(`"ServerInfo"`)
	if err := c.c.Send(ctxT(t), oversizePing(2)); !errors.Is(err, connector.ErrFrameTooLarge) {
		t.Fatalf("oversize send: %v, want ErrFrameTooLarge", err)
	}
	c.roundTrip(`[{"Ping":{"Id":3}}]`, `[{"Ok":{"Id":3}}]`)
}
