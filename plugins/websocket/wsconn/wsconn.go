// Package wsconn is a Buttplug websocket client connector (ws:// and wss://),
// the usual way to reach Intiface Central/Engine. It satisfies
// connector.Connector, so a Go application can use it with core/client
// directly; the websocket plugin serves it to the bphost host.
package wsconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/gorilla/websocket"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
)

// DefaultAddress is where Intiface listens by default.
const DefaultAddress = "ws://127.0.0.1:12345"

// Options configure the connector.
type Options struct {
	// Address is a ws:// or wss:// URL; DefaultAddress when empty.
	Address string
	// CAFile adds PEM certificates to the system roots for wss://.
	CAFile string
	// InsecureSkipVerify accepts any server certificate (self-signed
	// setups); it removes the protection TLS gives.
	InsecureSkipVerify bool
	// ConnectTimeout bounds the dial and websocket handshake; 0 means 10s.
	ConnectTimeout time.Duration
}

// New validates opts and returns a connector that dials on Connect.
func New(opts Options) (*stream.Connector, error) {
	if opts.Address == "" {
		opts.Address = DefaultAddress
	}
	u, err := url.Parse(opts.Address)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("wsconn: address %q: want ws://host:port or wss://host:port", opts.Address)
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	tlsConf := &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // opt-in, documented
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("wsconn: CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("wsconn: CA file %s holds no PEM certificate", opts.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &websocket.Dialer{
		HandshakeTimeout: opts.ConnectTimeout,
		TLSClientConfig:  tlsConf,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// It sets a write deadline per frame.
			return connector.CoarseWriteDeadline(c), nil
		},
	}
	addr := opts.Address
	return stream.New(func(ctx context.Context) (connector.FrameConn, error) {
		ctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
		defer cancel()
		c, resp, err := dialer.DialContext(ctx, addr, nil)
		if err != nil {
			if resp != nil {
				return nil, fmt.Errorf("%w: %s answered HTTP %s; is this a Buttplug websocket address?", connector.ErrRefused, addr, resp.Status)
			}
			return nil, stream.DialError(addr, err)
		}
		return &conn{ws: c}, nil
	}), nil
}

// conn adapts a websocket to connector.FrameConn: one Buttplug frame per text
// message.
type conn struct {
	ws *websocket.Conn
}

// ReadFrame returns the next message; binary ones are frames too. One
// longer than connector.MaxFrame is dropped with an error wrapping
// connector.ErrFrameTooLarge, as on every transport, and the connection
// stays up (gorilla's read limit would close it).
func (c *conn) ReadFrame() ([]byte, error) {
	data, err := nextFrame(c.ws)
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("%w: websocket close %d %s", connector.ErrPeerClosed, ce.Code, ce.Text)
		}
		return nil, err
	}
	return data, nil
}

func nextFrame(ws *websocket.Conn) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return nil, err
	}
	return connector.ReadFrame(r)
}

func (c *conn) WriteFrame(ctx context.Context, frame []byte) error {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Time{}
	}
	c.ws.SetWriteDeadline(dl)
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// Close says goodbye with a close frame when it can, then drops the socket.
func (c *conn) Close() error {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	return c.ws.Close()
}
