// Package ipcconn is a Buttplug client connector over local IPC: a Unix
// domain socket on Linux and macOS, a named pipe on Windows, with one JSON
// frame per line (see core/framing). It satisfies connector.Connector; the
// ipc plugin serves it to the bphost host.
package ipcconn

import (
	"context"
	"fmt"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
)

// Options configure the connector.
type Options struct {
	// Path is the socket path (Unix) or pipe name like \\.\pipe\bphost
	// (Windows); DefaultPath() when empty.
	Path string
	// ConnectTimeout bounds the dial; 0 means 10s.
	ConnectTimeout time.Duration
}

// New validates opts and returns a connector that dials on Connect.
func New(opts Options) (*stream.Connector, error) {
	if opts.Path == "" {
		opts.Path = DefaultPath()
	}
	if err := checkPath(opts.Path); err != nil {
		return nil, fmt.Errorf("ipcconn: path %q: %w", opts.Path, err)
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	dial := dialer(opts.Path)
	return stream.New(func(ctx context.Context) (connector.FrameConn, error) {
		ctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
		defer cancel()
		return dial(ctx)
	}), nil
}
