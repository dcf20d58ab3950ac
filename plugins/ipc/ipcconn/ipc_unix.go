//go:build !windows

package ipcconn

import (
	"context"
	"errors"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
)

// DefaultPath is the socket `bphost serve --listen unix://` uses:
// bphost.sock in $XDG_RUNTIME_DIR, else in a 0700 directory of the user's
// own under the temp dir (see stream.DefaultSocketPath).
func DefaultPath() string { return stream.DefaultSocketPath() }

func checkPath(p string) error {
	if len(p) > 104 { // sun_path is 104 bytes on macOS, 108 on Linux
		return errors.New("longer than a Unix socket path may be")
	}
	return nil
}

// dialer dials path; one in the per-user directory is dialed only if that
// directory is the user's own, so that another user cannot stand in for
// the server.
func dialer(path string) stream.DialFunc {
	dial := stream.DialNet("unix", path, "unix://"+path)
	return func(ctx context.Context) (connector.FrameConn, error) {
		if err := stream.PrepareSocketPath(path, false); err != nil {
			return nil, err
		}
		return dial(ctx)
	}
}
