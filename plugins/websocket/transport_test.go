package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/plugintest"
	"github.com/gorilla/websocket"
)

// wsListener is a net.Listener of upgraded websockets: an HTTP server on a
// loopback port upgrades every request and hands the websocket to Accept.
type wsListener struct {
	ln    net.Listener
	srv   *http.Server
	conns chan *websocket.Conn
	done  chan struct{}
	once  sync.Once
}

func listenWS(t testing.TB) *wsListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &wsListener{ln: ln, conns: make(chan *websocket.Conn), done: make(chan struct{})}
	up := websocket.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	l.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		select {
		case l.conns <- ws:
		case <-l.done:
			ws.Close()
		}
	})}
	go l.srv.Serve(ln)
	return l
}

// wsNetConn carries an accepted websocket through net.Listener.Accept.
type wsNetConn struct {
	net.Conn
	ws *websocket.Conn
}

func (l *wsListener) Accept() (net.Conn, error) {
	select {
	case ws := <-l.conns:
		return wsNetConn{Conn: ws.NetConn(), ws: ws}, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *wsListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.srv.Close()
}

func (l *wsListener) Addr() net.Addr { return l.ln.Addr() }

// wsFrames is the server end of a session: one frame per text message.
type wsFrames struct {
	ws *websocket.Conn
	mu sync.Mutex
}

func (c *wsFrames) ReadFrame() ([]byte, error) {
	_, b, err := c.ws.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return nil, fmt.Errorf("%w: %v", connector.ErrPeerClosed, err)
	}
	return b, err
}

func (c *wsFrames) WriteFrame(_ context.Context, frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *wsFrames) Close() error {
	c.mu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.mu.Unlock()
	return c.ws.Close()
}

func wsPeer(t testing.TB) plugintest.Peer {
	l := listenWS(t)
	p := plugintest.NewNetPeer(l, func(c net.Conn) connector.FrameConn { return &wsFrames{ws: c.(wsNetConn).ws} },
		map[string]string{"address": "ws://" + l.Addr().String()})
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	t.Run("in-process", func(t *testing.T) {
		plugintest.Run(t, plugintest.Config{Start: plugintest.InProcess(transport()), NewPeer: wsPeer})
	})
	t.Run("binary", func(t *testing.T) {
		bin := plugintest.Build(t, ".", "websocket")
		plugintest.Run(t, plugintest.Config{Start: plugintest.Binary(bin, host.Config{}), NewPeer: wsPeer})
	})
}

// Nothing listening gives the message that says what to start.
func TestAbsentServerMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "ws://" + ln.Addr().String()
	ln.Close()
	p, err := host.NewInProcess(transport(), host.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := p.Connector(map[string]string{"address": addr})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = c.Connect(ctx)
	if !errors.Is(err, connector.ErrServerAbsent) {
		t.Fatalf("error %v, want ErrServerAbsent", err)
	}
	for _, want := range []string{addr, "is Intiface or `bphost serve` running?"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
}
