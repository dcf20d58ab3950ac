package server_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/server"
)

// A client on a byte stream (tcp, unix) that starts a toy and then says
// nothing more, its connection still open (a stopped or hung process: its
// kernel answers keepalive probes for it): with a max ping time the server
// ends the session with ERROR_PING and the toy stops. This is the only
// bound on such a client; see the README's "Safety and security".
func TestSilentStreamClientStopped(t *testing.T) {
	r := newRig(t, rigOpts{server: []server.Option{server.WithMaxPingTime(300 * time.Millisecond)}})
	sd := r.connected("Lovense Hush")
	eachStream(t, r, func(t *testing.T, i int, conn net.Conn, in *bufio.Scanner) {
		send := func(line string) {
			t.Helper()
			if _, err := conn.Write([]byte(line + "\n")); err != nil {
				t.Fatal(err)
			}
		}
		until := func(sub string) {
			t.Helper()
			for in.Scan() {
				if strings.Contains(in.Text(), sub) {
					return
				}
			}
			t.Fatalf("no %s: %v", sub, in.Err())
		}
		send(`[{"RequestServerInfo":{"Id":1,"ClientName":"silent","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`)
		until(`"MaxPingTime":300`)
		send(`[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":9}}}}]`)
		until(`{"Ok":{"Id":2}}`)
		hasWrite(t, sd, "Vibrate:9;")
		// Silence.
		until(`"ErrorCode":2`)
		if in.Scan() {
			t.Fatalf("after ERROR_PING: %s", in.Text())
		}
		if err := in.Err(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Logf("end of the connection: %v", err)
		}
		if e := r.sessionEvent(server.SessionEnded, i+1); !errors.Is(e.Err, server.ErrPingTimeout) {
			t.Fatalf("session end: %v", e.Err)
		}
		lastWrite(t, sd, "Vibrate:0;")
	})
}
