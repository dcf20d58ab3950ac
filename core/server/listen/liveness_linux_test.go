package listen

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The TCP connections a listener accepts carry the keepalive and user
// timeout options, read back from the socket. (A peer that stops
// acknowledging cannot be made on loopback; what the kernel does with
// these options is the kernel's.)
func TestAcceptedConnectionsProbed(t *testing.T) {
	for _, u := range []string{"tcp://127.0.0.1:0", "ws://127.0.0.1:0"} {
		t.Run(strings.SplitN(u, ":", 2)[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			l, err := Listen(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var d net.Dialer
			client, err := d.DialContext(ctx, "tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			c, err := l.l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if w, ok := c.(interface{ NetConn() net.Conn }); ok {
				c = w.NetConn()
			}
			raw, err := c.(*net.TCPConn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []struct {
				name       string
				level, opt int
				want       int
			}{
				{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
				{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, int(KeepAliveIdle / time.Second)},
				{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, int(KeepAliveInterval / time.Second)},
				{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, KeepAliveCount},
				{"TCP_USER_TIMEOUT", unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(UserTimeout / time.Millisecond)},
			} {
				var got int
				var gerr error
				if err := raw.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), o.level, o.opt) }); err != nil {
					t.Fatal(err)
				}
				if gerr != nil {
					t.Fatalf("%s: %v", o.name, gerr)
				}
				if got != o.want {
					t.Errorf("%s = %d, want %d", o.name, got, o.want)
				}
			}
		})
	}
}
