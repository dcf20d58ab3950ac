// Command bphost-connector-lenframe is an example bphost plugin: frames over TCP after their length.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/pluginapi"
)

var desc = pluginapi.Description{
	Name: "lenframe", Version: "1.0.0", Summary: "frames over TCP, each after its length (4 bytes, big-endian)",
	Options: []pluginapi.OptionSpec{
		{Name: "address", Required: true, Help: "host:port of the Buttplug server"},
		{Name: "max-frame", Type: pluginapi.OptionInt, Default: "16777216", Help: "largest frame to accept, in bytes"},
	},
}

func main() { pluginapi.Serve(pluginapi.FromConnector(desc, dial)) }

// dial makes a session's connector: stream dials, reads and reports the end.
func dial(o pluginapi.Options) (connector.Connector, error) {
	addr, limit := o.String("address"), o.Int("max-frame")
	return stream.New(func(ctx context.Context) (connector.FrameConn, error) {
		c, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, stream.DialError("lenframe://"+addr, err) // wraps ErrServerAbsent
		}
		return &lenConn{c, limit}, nil
	}), nil
}

type lenConn struct {
	net.Conn
	limit int
}

func (l *lenConn) ReadFrame() ([]byte, error) {
	var n uint32
	if err := binary.Read(l.Conn, binary.BigEndian, &n); err != nil {
		return nil, err // io.EOF here: the server closed the session
	}
	if int64(n) > int64(l.limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", connector.ErrFrameTooLarge, n, l.limit)
	}
	f := make([]byte, n)
	_, err := io.ReadFull(l.Conn, f)
	return f, err
}

func (l *lenConn) WriteFrame(_ context.Context, f []byte) error {
	_, err := (&net.Buffers{binary.BigEndian.AppendUint32(nil, uint32(len(f))), f}).WriteTo(l.Conn)
	return err
}
