// Package listen puts a Buttplug server on the network: it binds ws://,
// tcp:// and unix:// URLs and hands each client connection to the server
// as a connector.FrameConn, with websocket pings and TCP keepalive so that
// a client that vanished ends its session (and every device stops), and,
// on websocket, an Origin and Host policy against web pages that should
// not reach the server.
package listen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/core/server"
)

// Addresses used when a URL gives no host or port.
const (
	// DefaultWebsocketURL is where Buttplug clients look for a server (the
	// address Intiface uses).
	DefaultWebsocketURL = "ws://127.0.0.1:12345"
	// DefaultTCPPort is the port of tcp:// URLs without one.
	DefaultTCPPort = "12346"
	defaultWSPort  = "12345"
	loopback       = "127.0.0.1"
)

// websocket keepalive: a client that answers no ping within pongWait is
// gone (a laptop that slept, a cable pulled) and its session ends, which
// stops every device.
const (
	pingPeriod = 10 * time.Second
	pongWait   = 2 * pingPeriod
)

// Option configures a listener.
type Option func(*options)

type options struct {
	origins []string
	log     *slog.Logger
}

// WithAllowedOrigins lets websocket clients in only when their Origin
// header (sent by browsers, not by other clients) matches one of the
// patterns: "https://app.example.com" (a whole origin, exactly),
// "app.example.com" (that host on any scheme and port), "*.example.com"
// (any host under example.com) or "*" (any). Others are answered 403. Without
// this option any origin may connect, as with Intiface: browser apps on
// any site depend on it.
func WithAllowedOrigins(patterns ...string) Option {
	return func(o *options) { o.origins = append(o.origins, patterns...) }
}

// WithLogger sets where a listener says which policy it applies and whom
// it refused (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Listener is a bound socket for one transport: ws:// (one frame per text
// message), tcp:// or unix:// (one frame per line, see core/framing).
type Listener struct {
	scheme string
	url    string
	l      net.Listener
	opt    options
	// loopback: bound to a loopback address, so that a Host header naming
	// anything else is a DNS-rebinding page.
	loopback bool
	host     string // the bound host, as the URL named it
}

// URL is the listener's address with the port actually bound, e.g.
// "ws://127.0.0.1:12345".
func (l *Listener) URL() string { return l.url }

// Addr is the bound network address.
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Close closes the socket; Serve closes its listeners itself.
func (l *Listener) Close() error { return l.l.Close() }

// Listen binds a listener for a URL: ws://host:port, tcp://host:port or
// unix:///path. A URL without a host binds loopback only; listening on
// other interfaces must be asked for by naming them (0.0.0.0 for all).
// A missing port is 12345 for ws and 12346 for tcp; unix:// is
// stream.DefaultSocketPath (its per-user directory made, 0700). A stale Unix socket
// file left by a dead server is replaced; the socket is made accessible to
// its owner only. TCP connections (tcp:// and ws://) get keepalive
// probes (see KeepAlive).
func Listen(ctx context.Context, rawURL string, opts ...Option) (*Listener, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", rawURL, err)
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if err := checkOrigins(o.origins); err != nil {
		return nil, fmt.Errorf("listen %q: %w", rawURL, err)
	}
	var lc net.ListenConfig
	switch u.Scheme {
	case "ws", "tcp":
		host, port := u.Hostname(), u.Port()
		if host == "" {
			host = loopback
		}
		if port == "" {
			port = map[string]string{"ws": defaultWSPort, "tcp": DefaultTCPPort}[u.Scheme]
		}
		if u.Scheme == "tcp" && u.Path != "" {
			return nil, fmt.Errorf("listen %q: a tcp URL has no path", rawURL)
		}
		l, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", rawURL, err)
		}
		ln := &Listener{scheme: u.Scheme, url: u.Scheme + "://" + l.Addr().String(), l: liveListener{l}, opt: o, host: host}
		if a, ok := l.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
			ln.loopback = true
		}
		if u.Scheme == "ws" {
			o.log.Info("websocket policy", "url", ln.url, "policy", ln.Policy())
		}
		return ln, nil
	case "unix":
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		if rawURL == "unix://" {
			path = stream.DefaultSocketPath()
		}
		if u.Host != "" || !filepath.IsAbs(path) {
			return nil, fmt.Errorf("listen %q: want unix:///absolute/path, or unix:// for %s", rawURL, stream.DefaultSocketPath())
		}
		l, err := listenUnix(ctx, &lc, path)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", rawURL, err)
		}
		return &Listener{scheme: "unix", url: "unix://" + path, l: coarseListener{l}, opt: o}, nil
	case "wss":
		return nil, fmt.Errorf("listen %q: wss is not served; put a TLS proxy in front of a ws:// listener", rawURL)
	}
	return nil, fmt.Errorf("listen %q: scheme must be ws, tcp or unix", rawURL)
}

func listenUnix(ctx context.Context, lc *net.ListenConfig, path string) (net.Listener, error) {
	if err := stream.PrepareSocketPath(path, true); err != nil {
		return nil, err
	}
	l, err := lc.Listen(ctx, "unix", path)
	if errors.Is(err, syscall.EADDRINUSE) {
		// Only a socket nobody answers on is removed: a live server keeps it.
		if fi, serr := os.Lstat(path); serr == nil && fi.Mode()&os.ModeSocket != 0 {
			var d net.Dialer
			c, derr := d.DialContext(ctx, "unix", path)
			if derr == nil {
				c.Close()
				return nil, err
			}
			if rerr := os.Remove(path); rerr == nil {
				l, err = lc.Listen(ctx, "unix", path)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// ServeURLs binds every URL (see Listen) and serves srv on them until ctx
// ends.
func ServeURLs(ctx context.Context, srv *server.Server, urls ...string) error {
	var ls []*Listener
	for _, u := range urls {
		l, err := Listen(ctx, u)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return err
		}
		ls = append(ls, l)
	}
	return Serve(ctx, srv, ls...)
}

// Serve hands the clients of every listener to srv until ctx ends, srv is
// closed or a listener fails, then closes the listeners, ends the session
// and returns once every connection is closed. The result is nil when ctx
// ended it, and wraps server.ErrClosed when srv was closed.
func Serve(ctx context.Context, srv *server.Server, ls ...*Listener) error {
	if len(ls) == 0 {
		return errors.New("listen: serve: no listener")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if l.scheme == "ws" {
				err = serveWebsocket(ctx, srv, l)
			} else {
				err = serveStream(ctx, srv, l)
			}
			if err != nil {
				cancel(fmt.Errorf("%s: %w", l.url, err))
			}
		}()
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-srv.Done():
			cancel(server.ErrClosed)
		}
	}()
	<-ctx.Done()
	for _, l := range ls {
		l.Close()
	}
	wg.Wait()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// serveStream accepts line-framed connections until the listener closes.
func serveStream(ctx context.Context, srv *server.Server, l *Listener) error {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := l.l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			_ = srv.ServeConn(ctx, stream.NewNetConn(c))
		}()
	}
}

// serveWebsocket serves websocket clients on any path until the listener
// closes.
func serveWebsocket(ctx context.Context, srv *server.Server, l *Listener) error {
	up := websocket.Upgrader{
		// Browser apps on any origin talk to local Buttplug servers unless
		// WithAllowedOrigins narrows it; refused ones get 403.
		CheckOrigin: func(r *http.Request) bool {
			if l.originAllowed(r.Header.Get("Origin")) {
				return true
			}
			l.opt.log.Warn("websocket client refused: origin not allowed", "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
			return false
		},
	}
	var conns sync.WaitGroup
	hs := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(l.opt.log.Handler(), slog.LevelDebug),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !l.hostAllowed(r.Host) {
				l.opt.log.Warn("websocket client refused: Host is not this server (DNS rebinding?)", "host", r.Host, "remote", r.RemoteAddr)
				http.Error(w, "Host not allowed: this server answers to loopback names only", http.StatusForbidden)
				return
			}
			ws, err := up.Upgrade(w, r, nil)
			if err != nil {
				return // Upgrade has answered with an HTTP error
			}
			conns.Add(1)
			defer conns.Done()
			_ = srv.ServeConn(ctx, newWSConn(ws))
		}),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l.l) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		hs.Close()
		err = <-errc
	}
	conns.Wait()
	if errors.Is(err, http.ErrServerClosed) || ctx.Err() != nil {
		return nil
	}
	return err
}

// wsConn is the server side of a websocket client: one frame per message,
// with pings that detect a peer that vanished without closing.
type wsConn struct {
	ws   *websocket.Conn
	once sync.Once
	stop chan struct{}
	done chan struct{}
}

func newWSConn(ws *websocket.Conn) *wsConn {
	c := &wsConn{ws: ws, stop: make(chan struct{}), done: make(chan struct{})}
	_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(pongWait)) })
	go c.keepalive()
	return c
}

func (c *wsConn) keepalive() {
	defer close(c.done)
	t := time.NewTicker(pingPeriod)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
				return
			}
		case <-c.stop:
			return
		}
	}
}

// ReadFrame returns the next message. One longer than connector.MaxFrame
// is read to its end and dropped, with an error wrapping
// connector.ErrFrameTooLarge, so the session answers it with ERROR_MSG
// and goes on, as on the line-framed sockets (gorilla's read limit would
// close the connection instead).
func (c *wsConn) ReadFrame() ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err == nil {
		var data []byte
		data, err = connector.ReadFrame(r)
		if err == nil || errors.Is(err, connector.ErrFrameTooLarge) {
			_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
			return data, err
		}
	}
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
		return nil, io.EOF
	}
	return nil, err
}

func (c *wsConn) WriteFrame(ctx context.Context, frame []byte) error {
	dl, _ := ctx.Deadline()
	_ = c.ws.SetWriteDeadline(dl)
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// Close says goodbye with a close frame when it can, then drops the socket.
func (c *wsConn) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		err = c.ws.Close()
	})
	return err
}
