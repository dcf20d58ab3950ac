//go:build windows

package ipcconn

import (
	"context"
	"errors"
	"strings"

	"github.com/Microsoft/go-winio"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
)

// DefaultPath is the named pipe `bphost serve` uses by default.
func DefaultPath() string { return `\\.\pipe\bphost` }

func checkPath(p string) error {
	if !strings.HasPrefix(p, `\\.\pipe\`) {
		return errors.New(`a named pipe path starts with \\.\pipe\`)
	}
	return nil
}

func dialer(path string) stream.DialFunc {
	return func(ctx context.Context) (connector.FrameConn, error) {
		c, err := winio.DialPipeContext(ctx, path)
		if err != nil {
			return nil, stream.DialError(path, err)
		}
		return stream.NewNetConn(c), nil
	}
}
