package server_test

import (
	"context"
	"errors"
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
	"github.com/bphost/bphost/core/server"
)

// wsFrames is the client side of a websocket as a stream.Conn.
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
		return stream.New(func(ctx context.Context) (stream.Conn, error) {
			ws, _, err := websocket.DefaultDialer.DialContext(ctx, rawURL, nil)
			if err != nil {
				return nil, stream.DialError(rawURL, err)
			}
			return wsFrames{ws}, nil
		})
	case "tcp", "unix":
		return stream.New(stream.DialNet(scheme, addr, rawURL, 0))
	}
	t.Fatalf("no dialer for %s", rawURL)
	return nil
}

// serve runs srv on the URLs until the test ends, and returns the bound
// listeners.
func serve(t *testing.T, srv *server.Server, urls ...string) []*server.Listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var ls []*server.Listener
	for _, u := range urls {
		l, err := server.Listen(ctx, u)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ls...) }()
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
		l, err := server.Listen(ctx, g.url)
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
		if l, err := server.Listen(ctx, b); err == nil {
			l.Close()
			t.Errorf("%s accepted", b)
		}
	}
	// A port in use is an error, not a silent second server.
	l, err := server.Listen(ctx, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l2, err := server.Listen(ctx, l.URL()); err == nil {
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
	l, err := server.Listen(ctx, "unix://"+path)
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
	if l2, err := server.Listen(ctx, "unix://"+path); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
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
	l, err := server.Listen(ctx, "ws://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.srv.Serve(ctx, l) }()
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

// On line-framed sockets an oversized frame is answered with ERROR_MSG and
// the stream stays in step.
func TestStreamFrameTooLarge(t *testing.T) {
	r := newRig(t, rigOpts{server: []server.Option{server.WithMaxFrameSize(100)}})
	ls := serve(t, r.srv, "tcp://127.0.0.1:0")
	nc, err := net.Dial("tcp", ls[0].Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	conn := stream.NewNetConn(nc, 0)
	ctx := ctxT(t)
	for _, f := range []string{
		`[{"RequestServerInfo":{"Id":1,"ClientName":"x","MessageVersion":3}}]`,
		`[{"Ping":{"Id":2}},{"Ping":{"Id":3}},{"Ping":{"Id":4}},{"Ping":{"Id":5}},{"Ping":{"Id":7}},{"Ping":{"Id":8}}]`,
		`[{"Ping":{"Id":6}}]`,
	} {
		if err := conn.WriteFrame(ctx, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{`"ServerInfo"`, `{"Error":{"Id":0,`, `{"Ok":{"Id":6}}`}
	for _, w := range want {
		f, err := conn.ReadFrame()
		if err != nil || !strings.Contains(string(f), w) {
			t.Fatalf("got %s, %v; want %s", f, err, w)
		}
	}
}
