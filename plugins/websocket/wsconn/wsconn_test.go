package wsconn_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/plugins/websocket/wsconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echo answers every text message with the same text; "close" makes it
// close the socket with a close frame.
func echo(t *testing.T) *httptest.Server {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if string(data) == "close" {
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second))
				return
			}
			if c.WriteMessage(typ, data) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestFramesAndPeerClose(t *testing.T) {
	srv := echo(t)
	c, err := wsconn.New(wsconn.Options{Address: wsURL(srv)})
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		if err := c.Connect(tctx(t)); err != nil {
			t.Fatal(err)
		}
		// The largest frame any transport carries.
		head, tail := `[{"Test":{"Id":1,"TestString":"`, `"}}]`
		big := head + strings.Repeat("x", connector.MaxFrame-len(head)-len(tail)) + tail
		for _, f := range []string{`[{"Ping":{"Id":1}}]`, big} {
			if err := c.Send(tctx(t), []byte(f)); err != nil {
				t.Fatal(err)
			}
			got, err := c.Recv(tctx(t))
			if err != nil || string(got) != f {
				t.Fatalf("echo of %d bytes: got %d bytes, %v", len(f), len(got), err)
			}
		}
		c.Send(tctx(t), []byte("close"))
		_, err = c.Recv(tctx(t))
		if !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrPeerClosed) || !strings.Contains(err.Error(), "1001") {
			t.Fatalf("peer close: %v", err)
		}
		c.Close()
	}
}

func TestAbsentAndWrongServer(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c, _ := wsconn.New(wsconn.Options{Address: "ws://" + addr})
	err := c.Connect(tctx(t))
	if !errors.Is(err, connector.ErrServerAbsent) || !strings.Contains(err.Error(), "bphost serve") {
		t.Fatalf("absent: %v", err)
	}
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	c, _ = wsconn.New(wsconn.Options{Address: wsURL(plain)})
	if err := c.Connect(tctx(t)); !errors.Is(err, connector.ErrRefused) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("http server: %v", err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []wsconn.Options{{Address: "http://x"}, {Address: "ws://"}, {Address: "::"}, {Address: "ws://x", CAFile: "/nonexistent"}} {
		if _, err := wsconn.New(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestTLS(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err == nil {
			c.WriteMessage(websocket.TextMessage, []byte(`[{"Ok":{"Id":1}}]`))
			c.ReadMessage()
			c.Close()
		}
	}))
	defer srv.Close()
	addr := "wss" + strings.TrimPrefix(srv.URL, "https")
	c, _ := wsconn.New(wsconn.Options{Address: addr})
	if err := c.Connect(tctx(t)); err == nil || errors.Is(err, connector.ErrServerAbsent) {
		t.Fatalf("self-signed certificate accepted without opt-in: %v", err)
	}
	c, _ = wsconn.New(wsconn.Options{Address: addr, InsecureSkipVerify: true})
	if err := c.Connect(tctx(t)); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f, err := c.Recv(tctx(t)); err != nil || string(f) != `[{"Ok":{"Id":1}}]` {
		t.Fatalf("%q %v", f, err)
	}
}
