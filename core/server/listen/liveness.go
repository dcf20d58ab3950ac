package listen

import (
	"net"
	"time"

	"github.com/bphost/bphost/core/connector"
)

// KeepAlive is how TCP connections (tcp:// and ws://) find out that the
// client's machine is gone (switched off, asleep, off the network) when no
// data flows: the first probe after KeepAliveIdle of silence, then one
// every KeepAliveInterval, and after KeepAliveCount unanswered ones the
// connection is dropped, its session ends and every device stops. Data
// the client does not acknowledge is given up after UserTimeout (Linux).
// A client whose process died needs none of this: its kernel closes the
// connection at once. A process that is stopped or hung on a machine that
// still runs answers the probes: only pings notice it (websocket pings,
// or the server's --max-ping-time).
const (
	KeepAliveIdle     = 5 * time.Second
	KeepAliveInterval = 2 * time.Second
	KeepAliveCount    = 3
	// UserTimeout matches the probes: KeepAliveIdle + KeepAliveCount × KeepAliveInterval.
	UserTimeout = KeepAliveIdle + KeepAliveCount*KeepAliveInterval
)

// liveListener sets the liveness options on each TCP connection it
// accepts.
type liveListener struct{ net.Listener }

func (l liveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		// Best effort: a socket that refuses the options is still served,
		// with websocket pings and ping timeouts to rely on.
		_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{
			Enable:   true,
			Idle:     KeepAliveIdle,
			Interval: KeepAliveInterval,
			Count:    KeepAliveCount,
		})
		_ = setUserTimeout(tc, UserTimeout)
	}
	return connector.CoarseWriteDeadline(c), nil
}

// coarseListener hands out its connections with coarse write deadlines
// (connector.CoarseWriteDeadline): the server sets one per frame.
type coarseListener struct{ net.Listener }

func (l coarseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return connector.CoarseWriteDeadline(c), nil
}
