package stream_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/core/framing"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer accepts connections on ln and answers each frame with the same
// frame; it closes a connection when it receives "close".
func echoServer(t *testing.T, ln net.Listener) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r, w := framing.NewReader(c, 0), framing.NewWriter(c)
				for {
					f, err := r.ReadFrame()
					if err != nil || string(f) == "close" {
						return
					}
					if w.WriteFrame(f) != nil {
						return
					}
				}
			}()
		}
	}()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestStreamOverTCPAndUnix(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "bp.sock")
	unix, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, tcp)
	echoServer(t, unix)
	for name, c := range map[string]*stream.Connector{
		"tcp":  stream.New(stream.DialNet("tcp", tcp.Addr().String(), "tcp://"+tcp.Addr().String())),
		"unix": stream.New(stream.DialNet("unix", sock, "unix://"+sock)),
	} {
		t.Run(name, func(t *testing.T) {
			if err := c.Send(ctx(t), []byte("x")); !errors.Is(err, connector.ErrNotConnected) {
				t.Fatalf("send before connect: %v", err)
			}
			for round := 0; round < 2; round++ { // reopen after close
				if err := c.Connect(ctx(t)); err != nil {
					t.Fatal(err)
				}
				if err := c.Connect(ctx(t)); !errors.Is(err, connector.ErrAlreadyConnected) {
					t.Fatalf("second connect: %v", err)
				}
				for i, f := range []string{`[{"Ping":{"Id":1}}]`, `[{"Ping":{"Id":2}}]`} {
					if err := c.Send(ctx(t), []byte(f)); err != nil {
						t.Fatal(err)
					}
					got, err := c.Recv(ctx(t))
					if err != nil || string(got) != f {
						t.Fatalf("frame %d: %q %v", i, got, err)
					}
				}
				// Peer closes: the cause is ErrPeerClosed.
				if err := c.Send(ctx(t), []byte("close")); err != nil {
					t.Fatal(err)
				}
				_, err := c.Recv(ctx(t))
				if !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrPeerClosed) {
					t.Fatalf("after peer close: %v", err)
				}
				if err := c.Send(ctx(t), []byte("x")); !errors.Is(err, connector.ErrDisconnected) {
					t.Fatalf("send after peer close: %v", err)
				}
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestLocalCloseUnblocksRecv(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, ln)
	c := stream.New(stream.DialNet("tcp", ln.Addr().String(), "tcp test"))
	if err := c.Connect(ctx(t)); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := c.Recv(ctx(t)); errc <- err }()
	c.Close()
	if err := <-errc; !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrClosed) {
		t.Fatalf("recv after local close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestServerAbsent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, dial := range []stream.DialFunc{
		stream.DialNet("tcp", addr, "tcp://"+addr),
		stream.DialNet("unix", filepath.Join(t.TempDir(), "missing.sock"), "unix socket"),
	} {
		err := stream.New(dial).Connect(ctx(t))
		if !errors.Is(err, connector.ErrServerAbsent) {
			t.Fatalf("got %v, want ErrServerAbsent", err)
		}
	}
}

// connectedEcho returns a connector connected to an echo server, closed
// when the test ends.
func connectedEcho(t *testing.T) *stream.Connector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, ln)
	c := stream.New(stream.DialNet("tcp", ln.Addr().String(), "tcp test"))
	if err := c.Connect(ctx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRecvHonoursContext(t *testing.T) {
	c := connectedEcho(t)
	short, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Recv(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("recv with cancelled context: %v", err)
	}
}

// A frame over connector.MaxFrame is refused locally, before any byte is
// written, and the session goes on.
func TestSendFrameTooLarge(t *testing.T) {
	c := connectedEcho(t)
	big := make([]byte, connector.MaxFrame+1)
	if err := c.Send(ctx(t), big); !errors.Is(err, connector.ErrFrameTooLarge) || errors.Is(err, connector.ErrDisconnected) {
		t.Fatalf("oversize send: %v, want ErrFrameTooLarge and no disconnect", err)
	}
	if err := c.Send(ctx(t), []byte(`[1]`)); err != nil {
		t.Fatal(err)
	}
	if f, err := c.Recv(ctx(t)); err != nil || string(f) != `[1]` {
		t.Fatalf("after the oversize frame: %q, %v", f, err)
	}
}
