// Package tcpconn is a Buttplug client connector over plain TCP, with one
// JSON frame per line (see core/framing). It satisfies connector.Connector;
// the tcp plugin serves it to the bphost host.
package tcpconn

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
)

// DefaultAddress is where `bphost serve --listen tcp://127.0.0.1:12346` listens.
const DefaultAddress = "127.0.0.1:12346"

// Options configure the connector.
type Options struct {
	// Address is host:port; DefaultAddress when empty.
	Address string
	// ConnectTimeout bounds the dial; 0 means 10s.
	ConnectTimeout time.Duration
}

// New validates opts and returns a connector that dials on Connect.
func New(opts Options) (*stream.Connector, error) {
	if opts.Address == "" {
		opts.Address = DefaultAddress
	}
	if _, _, err := net.SplitHostPort(opts.Address); err != nil {
		return nil, fmt.Errorf("tcpconn: address %q: want host:port: %w", opts.Address, err)
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	dial := stream.DialNet("tcp", opts.Address, "tcp://"+opts.Address)
	return stream.New(func(ctx context.Context) (connector.FrameConn, error) {
		ctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
		defer cancel()
		return dial(ctx)
	}), nil
}
