package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector/stream"
	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/core/server/listen"
)

// stoppedAtEnd makes every SessionEnded event check that each device's
// last write is a stop: the server stops devices before it reports the end
// and before it admits the next client.
func (r *rig) stoppedAtEnd(t *testing.T, devs ...*simulated.Device) *[]string {
	var mu sync.Mutex
	var problems []string
	r.mu.Lock()
	r.onEnd = func(server.SessionEvent) {
		for _, sd := range devs {
			w := writes(sd)
			if len(w) == 0 || w[len(w)-1] != "Vibrate:0;" {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s at session end: %q", sd.Address(), w))
				mu.Unlock()
			}
		}
	}
	r.mu.Unlock()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Error(p)
		}
	})
	return &problems
}

// Whatever ends a session, every device is stopped before the end is
// reported and before another client is served.
func TestSessionEndStopsDevices(t *testing.T) {
	cases := []struct {
		name string
		end  func(r *rig, c *raw)
		// cause is what the session's end reports; nil when the client left.
		cause error
	}{
		{"client Disconnect", func(_ *rig, c *raw) {
			c.roundTrip(`[{"Disconnect":{"Id":9}}]`, `[{"Ok":{"Id":9}}]`)
		}, nil},
		{"client closes", func(_ *rig, c *raw) { c.c.Close() }, nil},
		{"server closes", func(r *rig, _ *raw) { r.srv.Close() }, server.ErrClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOpts{})
			a := r.connected("Lovense Hush", simulated.WithAddress("a"))
			b := r.connected("Lovense Lush", simulated.WithAddress("b"))
			r.stoppedAtEnd(t, a, b)
			c := r.raw()
			c.handshake(4)
			for i, sd := range []*simulated.Device{a, b} {
				c.roundTrip(fmt.Sprintf(`[{"OutputCmd":{"Id":%d,"DeviceIndex":%d,"FeatureIndex":0,"Command":{"Vibrate":{"Value":%d}}}}]`, i+2, i, 7+i),
					fmt.Sprintf(`[{"Ok":{"Id":%d}}]`, i+2))
				hasWrite(t, sd, fmt.Sprintf("Vibrate:%d;", 7+i))
			}
			tc.end(r, c)
			e := r.sessionEvent(server.SessionEnded, 1)
			if !errors.Is(e.Err, tc.cause) || (tc.cause == nil) != (e.Err == nil) {
				t.Fatalf("session ended with %v, want %v", e.Err, tc.cause)
			}
			lastWrite(t, a, "Vibrate:0;")
			lastWrite(t, b, "Vibrate:0;")
		})
	}
}

// A client that misses its ping deadline gets ERROR_PING, its session
// ends, and every device stops.
func TestPingTimeoutStopsDevices(t *testing.T) {
	r := newRig(t, rigOpts{server: []server.Option{server.WithMaxPingTime(300 * time.Millisecond)}})
	sd := r.connected("Lovense Hush")
	r.stoppedAtEnd(t, sd)
	c := r.raw()
	// The handshake and the command share a frame, so the command runs
	// before the deadline whatever the machine's load.
	c.send(`[{"RequestServerInfo":{"Id":1,"ClientName":"raw","MessageVersion":3}},` +
		`{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`)
	c.expect(`[{"ServerInfo":{"Id":1,"MessageVersion":3,"MaxPingTime":300,"ServerName":"bphost"}}]`)
	// Before the ping error: the command's Ok, and the end of the rig's own
	// scan when it finishes after the session began.
	const okReply, scanEnd = `[{"Ok":{"Id":2}}]`, `[{"ScanningFinished":{"Id":0}}]`
	f := c.recv()
	for f == okReply || f == scanEnd {
		if f == okReply {
			hasWrite(t, sd, "Vibrate:10;")
		}
		f = c.recv()
	}
	if e, ok := asErrorReply(f); !ok || e.ID != 0 || e.Code != 2 {
		t.Fatalf("got %s, want an ERROR_PING Error with Id 0", f)
	}
	c.closed()
	if e := r.sessionEvent(server.SessionEnded, 1); !errors.Is(e.Err, server.ErrPingTimeout) {
		t.Fatalf("session ended with %v", e.Err)
	}
	lastWrite(t, sd, "Vibrate:0;")
}

// Pings keep a session alive: many of them, each well inside the deadline.
func TestPingsKeepSessionAlive(t *testing.T) {
	r := newRig(t, rigOpts{server: []server.Option{server.WithMaxPingTime(5 * time.Second)}})
	c := r.raw()
	c.handshake(4)
	for i := 2; i < 12; i++ {
		c.roundTrip(fmt.Sprintf(`[{"Ping":{"Id":%d}}]`, i), fmt.Sprintf(`[{"Ok":{"Id":%d}}]`, i))
	}
	c.roundTrip(`[{"Disconnect":{"Id":20}}]`, `[{"Ok":{"Id":20}}]`)
	if e := r.sessionEvent(server.SessionEnded, 1); e.Err != nil {
		t.Fatalf("session ended with %v", e.Err)
	}
}

// A client that vanishes (connection reset) while its command waits on a
// device that hangs leaves the device stopped before the session's end is
// reported; the next client is then served.
func TestClientVanishesMidCommand(t *testing.T) {
	r := newRig(t, rigOpts{device: []device.Option{device.WithIOTimeout(300 * time.Millisecond)}})
	sd := r.connected("Lovense Hush")
	r.stoppedAtEnd(t, sd)
	ctx, cancel := context.WithCancel(ctxT(t))
	l, err := listen.Listen(ctx, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- listen.Serve(ctx, r.srv, l) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn := stream.NewNetConn(nc)
	write := func(s string) {
		if err := conn.WriteFrame(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	write(`[{"RequestServerInfo":{"Id":1,"ClientName":"vanishing","MessageVersion":3}}]`)
	if f, err := conn.ReadFrame(); err != nil || !strings.Contains(string(f), "ServerInfo") {
		t.Fatalf("handshake: %s, %v", f, err)
	}
	write(`[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`)
	if f, err := conn.ReadFrame(); err != nil || string(f) != `[{"Ok":{"Id":2}}]` {
		t.Fatalf("vibrate: %s, %v", f, err)
	}
	hasWrite(t, sd, "Vibrate:10;")
	sd.HangWrites(true)
	write(`[{"ScalarCmd":{"Id":3,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1,"ActuatorType":"Vibrate"}]}}]`)
	for {
		ch := sd.Changed()
		if sd.Blocked() == 1 {
			break
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the command never reached the device")
		}
	}
	// Later writes go through; the one in flight stays stuck.
	sd.HangWrites(false)
	nc.(*net.TCPConn).SetLinger(0)
	nc.Close()
	if e := r.sessionEvent(server.SessionEnded, 1); e.Err == nil {
		t.Fatal("a reset connection ended the session as a goodbye")
	}
	lastWrite(t, sd, "Vibrate:0;")

	// The next client is served.
	next, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	nconn := stream.NewNetConn(next)
	if err := nconn.WriteFrame(ctx, []byte(`[{"RequestServerInfo":{"Id":1,"ClientName":"next","MessageVersion":3}}]`)); err != nil {
		t.Fatal(err)
	}
	if f, err := nconn.ReadFrame(); err != nil || !strings.Contains(string(f), "ServerInfo") {
		t.Fatalf("next client: %s, %v", f, err)
	}
}

// A device that stops answering fails its own commands after the I/O
// timeout; meanwhile other devices and the session carry on.
func TestHungDeviceDoesNotBlockSession(t *testing.T) {
	r := newRig(t, rigOpts{device: []device.Option{device.WithIOTimeout(2 * time.Second)}})
	hung := r.connected("Lovense Hush", simulated.WithAddress("hung"))
	ok := r.connected("Lovense Lush", simulated.WithAddress("ok"))
	hung.HangReads(true)
	c := r.raw()
	c.handshake(4)
	c.send(`[{"InputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}]`)
	// Until the read fails, everything else is answered.
	c.roundTrip(`[{"OutputCmd":{"Id":3,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":4}}}}]`, `[{"Ok":{"Id":3}}]`)
	hasWrite(t, ok, "Vibrate:4;")
	c.roundTrip(`[{"OutputCmd":{"Id":4,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":2}}}}]`, `[{"Ok":{"Id":4}}]`)
	c.roundTrip(`[{"InputCmd":{"Id":5,"DeviceIndex":1,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}]`,
		`[{"InputReading":{"Id":5,"DeviceIndex":1,"FeatureIndex":1,"Reading":{"Battery":{"Value":85}}}}]`)
	// Reads waiting on devices are bounded: the one past the limit is
	// refused at once.
	var reads []string
	for id := 100; id < 164; id++ {
		reads = append(reads, fmt.Sprintf(`{"InputCmd":{"Id":%d,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}`, id))
	}
	c.send("[" + strings.Join(reads, ",") + "]")
	if e := c.expectError(163, 4); !strings.Contains(e.Message, "reads are waiting") {
		t.Fatalf("read past the limit: %+v", e)
	}
	for {
		e, ok := asErrorReply(c.until(`"Error"`))
		if !ok || e.Code != 4 || !strings.Contains(e.Message, "timed out") {
			t.Fatalf("hung read: %+v", e)
		}
		if e.ID == 2 {
			break
		}
	}
}

// A device stuck in a write takes device.QueueDepth commands from a
// session; the next is refused at once with ERROR_DEVICE, the session
// still answers, and a stop is queued (never refused), reaching the device
// once the write is over.
func TestBusyDeviceRefusesOutputsNotStops(t *testing.T) {
	r := newRig(t, rigOpts{device: []device.Option{device.WithIOTimeout(3 * time.Second)}})
	sd := r.connected("Lovense Hush")
	c := r.raw()
	c.handshake(4)
	vibrate := func(id, v int) string {
		return fmt.Sprintf(`[{"OutputCmd":{"Id":%d,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":%d}}}}]`, id, v)
	}
	sd.HangWrites(true)
	c.send(vibrate(2, 1))
	for sd.Blocked() != 1 {
		select {
		case <-sd.Changed():
		case <-time.After(10 * time.Millisecond):
		}
	}
	for i := range device.QueueDepth {
		c.send(vibrate(10+i, 2+i%2))
	}
	busy := 10 + device.QueueDepth
	c.send(vibrate(busy, 5))
	if e := c.expectError(uint32(busy), 4); !strings.Contains(e.Message, "busy") {
		t.Fatalf("command past the queue: %+v", e)
	}
	c.roundTrip(`[{"Ping":{"Id":3}}]`, `[{"Ok":{"Id":3}}]`)
	c.send(`[{"StopCmd":{"Id":4,"DeviceIndex":0}}]`)
	sd.HangWrites(false)
	c.until(`{"Ok":{"Id":4}}`)
	lastWrite(t, sd, "Vibrate:0;")
	for _, w := range writes(sd) {
		if w == "Vibrate:5;" {
			t.Fatal("the refused command reached the device")
		}
	}
}
