package server_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/server"
)

// A client that sends its commands and then closes its sending side (a
// TCP or Unix half-close) hears every answer before the server closes;
// then every device stops. Before, the end of its input ended the session
// at once and the queued commands were dropped unanswered.
func TestHalfCloseAnswersQueuedCommands(t *testing.T) {
	// A gap between device writes keeps the commands waiting well after
	// the client's last byte arrived.
	r := newRig(t, rigOpts{device: []device.Option{device.WithDefaultMessageGap(50 * time.Millisecond)}})
	sd := r.connected("Lovense Hush")
	eachStream(t, r, func(t *testing.T, i int, conn net.Conn, in *bufio.Scanner) {
		var b strings.Builder
		b.WriteString(`[{"RequestServerInfo":{"Id":1,"ClientName":"half","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]` + "\n")
		const commands = 40
		for id := 2; id < 2+commands; id++ {
			fmt.Fprintf(&b, `[{"OutputCmd":{"Id":%d,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":%d}}}}]`+"\n", id, 1+id%19)
		}
		last := 2 + commands
		fmt.Fprintf(&b, `[{"RequestDeviceList":{"Id":%d}},{"Ping":{"Id":%d}}]`+"\n", last, last+1)
		if _, err := conn.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		answered := map[int]bool{}
		for in.Scan() {
			line := in.Text()
			if _, after, ok := strings.Cut(line, `"Id":`); ok {
				var id int
				if _, err := fmt.Sscanf(after, "%d", &id); err == nil && id != 0 {
					if strings.Contains(line, `"Error"`) {
						t.Errorf("command %d: %s", id, line)
					}
					answered[id] = true
				}
			}
		}
		if err := in.Err(); err != nil {
			t.Fatalf("reading the answers: %v", err)
		}
		for id := 1; id <= last+1; id++ {
			if !answered[id] {
				t.Errorf("no answer to Id %d", id)
			}
		}
		t.Logf("%d of %d answered", len(answered), last+1)
		if e := r.sessionEvent(server.SessionEnded, i+1); e.Err != nil {
			t.Errorf("session end: %v", e.Err)
		}
		lastWrite(t, sd, "Vibrate:0;")
	})
}

// eachStream runs f on a raw connection, read line by line, to a tcp:// and
// a unix:// listener of r's server in turn (i counts from 0).
func eachStream(t *testing.T, r *rig, f func(t *testing.T, i int, conn net.Conn, in *bufio.Scanner)) {
	ls := serve(t, r.srv, "tcp://127.0.0.1:0", "unix://"+socketPath(t))
	for i, l := range ls {
		scheme, addr, _ := strings.Cut(l.URL(), "://")
		t.Run(scheme, func(t *testing.T) {
			conn, err := net.DialTimeout(scheme, addr, wait)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(wait))
			in := bufio.NewScanner(conn)
			in.Buffer(nil, 1<<20)
			f(t, i, conn, in)
		})
	}
}
