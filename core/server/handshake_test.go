package server_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/server"
)

// ServerInfo answers each client in its own version, never a higher one
// (the shapes of the reference's message downgrade tests).
func TestHandshakeVersions(t *testing.T) {
	cases := []struct {
		name, rsi, want string
	}{
		{"v0", `[{"RequestServerInfo":{"Id":1,"ClientName":"Test Client"}}]`,
			`[{"ServerInfo":{"Id":1,"MajorVersion":0,"MinorVersion":0,"BuildVersion":0,"MessageVersion":0,"MaxPingTime":0,"ServerName":"bphost"}}]`},
		{"v1", `[{"RequestServerInfo":{"Id":1,"ClientName":"Test Client","MessageVersion":1}}]`,
			`[{"ServerInfo":{"Id":1,"MajorVersion":0,"MinorVersion":0,"BuildVersion":0,"MessageVersion":1,"MaxPingTime":0,"ServerName":"bphost"}}]`},
		{"v2", `[{"RequestServerInfo":{"Id":1,"ClientName":"Test Client","MessageVersion":2}}]`,
			`[{"ServerInfo":{"Id":1,"MessageVersion":2,"MaxPingTime":0,"ServerName":"bphost"}}]`},
		{"v3", `[{"RequestServerInfo":{"Id":7,"ClientName":"Test Client","MessageVersion":3}}]`,
			`[{"ServerInfo":{"Id":7,"MessageVersion":3,"MaxPingTime":0,"ServerName":"bphost"}}]`},
		{"v4", `[{"RequestServerInfo":{"Id":1,"ClientName":"Test Client","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`,
			`[{"ServerInfo":{"Id":1,"ServerName":"bphost","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0}}]`},
		// A newer minor version is served as 4.0.
		{"v4.3", `[{"RequestServerInfo":{"Id":1,"ClientName":"Test Client","ProtocolVersionMajor":4,"ProtocolVersionMinor":3}}]`,
			`[{"ServerInfo":{"Id":1,"ServerName":"bphost","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0}}]`},
	}
	r := newRig(t, rigOpts{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := r.raw()
			c.send(tc.rsi)
			c.expect(tc.want)
			// A second handshake on the session is refused; the session goes on.
			c.roundTrip(tc.rsi, `[{"Error":{"Id":`+idOf(tc.rsi)+`,"ErrorCode":1,"ErrorMessage":"the handshake already happened"}}]`)
			c.roundTrip(`[{"Ping":{"Id":9}}]`, `[{"Ok":{"Id":9}}]`)
			c.c.Close()
		})
	}
}

func idOf(frame string) string {
	i := strings.Index(frame, `"Id":`) + len(`"Id":`)
	j := strings.IndexAny(frame[i:], ",}")
	return frame[i : i+j]
}

// Before the handshake, anything but a RequestServerInfo the server can
// serve is refused with ERROR_INIT; the client may then try again, as a
// client falling back from v4 to v3 does.
func TestHandshakeRefusals(t *testing.T) {
	cases := []struct {
		name, frame string
		id          uint32
		code        int
	}{
		{"not first", `[{"StartScanning":{"Id":3}}]`, 3, 1},
		{"v5", `[{"RequestServerInfo":{"Id":4,"ClientName":"x","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]`, 4, 1},
		{"MessageVersion 4", `[{"RequestServerInfo":{"Id":5,"ClientName":"x","MessageVersion":4}}]`, 5, 1},
		{"bad field", `[{"RequestServerInfo":{"Id":6,"ClientName":"x","MessageVersion":3,"Extra":1}}]`, 6, 3},
		{"malformed", `[{"RequestServerInfo":`, 0, 3},
	}
	r := newRig(t, rigOpts{})
	c := r.raw()
	for _, tc := range cases {
		t.Log(tc.name)
		c.send(tc.frame)
		c.expectError(tc.id, tc.code)
	}
	c.handshake(3)
	c.roundTrip(`[{"Ping":{"Id":2}}]`, `[{"Ok":{"Id":2}}]`)
}

// Bad input is answered, never dropped, and the session goes on.
func TestBadInputAnswered(t *testing.T) {
	cases := []struct {
		name, frame string
		id          uint32
		code        int
	}{
		{"not JSON", `[{"Ping":`, 0, 3},
		{"not an array", `{"Ping":{"Id":2}}`, 0, 3},
		{"empty array", `[]`, 0, 3},
		{"unknown message", `[{"Wobble":{"Id":3}}]`, 3, 3},
		{"id zero", `[{"Ping":{"Id":0}}]`, 0, 3},
		{"missing field", `[{"OutputCmd":{"Id":4,"DeviceIndex":0,"FeatureIndex":0}}]`, 4, 3},
		{"unknown field", `[{"Ping":{"Id":5,"Extra":true}}]`, 5, 3},
		{"other version", `[{"ScalarCmd":{"Id":6,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`, 6, 3},
		{"server message", `[{"Ok":{"Id":7}}]`, 7, 3},
		{"no such device", `[{"OutputCmd":{"Id":8,"DeviceIndex":9,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]`, 8, 4},
		{"trailing data", `[{"Ping":{"Id":10}}]x`, 0, 3},
	}
	r := newRig(t, rigOpts{})
	c := r.raw()
	c.handshake(4)
	for _, tc := range cases {
		t.Log(tc.name)
		c.send(tc.frame)
		c.expectError(tc.id, tc.code)
		c.roundTrip(`[{"Ping":{"Id":99}}]`, `[{"Ok":{"Id":99}}]`)
	}
	// In a frame of several messages, the bad one is answered and the
	// others run.
	c.send(`[{"Ping":{"Id":11}},{"Wobble":{"Id":12}},{"Ping":{"Id":13}}]`)
	c.expect(`[{"Ok":{"Id":11}}]`)
	c.expectError(12, 3)
	c.expect(`[{"Ok":{"Id":13}}]`)
}

// Values outside a feature's range get an error and never reach the device
// (the reference server sends "Vibrate:140;" for a scalar of 7).
func TestOutOfRangeRefused(t *testing.T) {
	r := newRig(t, rigOpts{})
	sd := r.connected("Lovense Hush")
	before := len(sd.Writes())
	cases := []struct {
		version int
		frame   string
		id      uint32
		code    int
	}{
		{3, `[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":7,"ActuatorType":"Vibrate"}]}}]`, 2, 3},
		{3, `[{"ScalarCmd":{"Id":3,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":-0.1,"ActuatorType":"Vibrate"}]}}]`, 3, 3},
		{3, `[{"ScalarCmd":{"Id":4,"DeviceIndex":0,"Scalars":[{"Index":1,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`, 4, 4},
		{3, `[{"ScalarCmd":{"Id":5,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Rotate"}]}}]`, 5, 4},
		// One bad subcommand: nothing is sent.
		{3, `[{"ScalarCmd":{"Id":6,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},{"Index":0,"Scalar":2,"ActuatorType":"Vibrate"}]}}]`, 6, 3},
		{3, `[{"SensorReadCmd":{"Id":7,"DeviceIndex":0,"SensorIndex":3,"SensorType":"Battery"}}]`, 7, 4},
		{2, `[{"VibrateCmd":{"Id":2,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1.5}]}}]`, 2, 3},
		{2, `[{"VibrateCmd":{"Id":3,"DeviceIndex":0,"Speeds":[{"Index":2,"Speed":0.5}]}}]`, 3, 4},
		{2, `[{"RotateCmd":{"Id":4,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]`, 4, 4},
		{4, `[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":21}}}}]`, 2, 4},
		{4, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":-1}}}}]`, 3, 4},
		{4, `[{"OutputCmd":{"Id":4,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Rotate":{"Value":1}}}}]`, 4, 4},
		{4, `[{"OutputCmd":{"Id":5,"DeviceIndex":0,"FeatureIndex":7,"Command":{"Vibrate":{"Value":1}}}}]`, 5, 4},
		{4, `[{"InputCmd":{"Id":6,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Subscribe"}}]`, 6, 4},
	}
	sessions := map[int]*raw{}
	for _, tc := range cases {
		c := sessions[tc.version]
		if c == nil {
			for _, o := range sessions {
				o.c.Close()
			}
			c = r.raw()
			c.handshake(tc.version)
			sessions = map[int]*raw{tc.version: c}
		}
		t.Logf("v%d %s", tc.version, tc.frame)
		c.send(tc.frame)
		c.expectError(tc.id, tc.code)
	}
	for _, w := range writes(sd)[before:] {
		if w != "Vibrate:0;" {
			t.Errorf("an invalid command reached the device: %q", w)
		}
	}
}

// A client that says nothing is dropped after the handshake deadline,
// with an ERROR_INIT Error saying why.
func TestHandshakeDeadline(t *testing.T) {
	r := newRig(t, rigOpts{server: []server.Option{server.WithHandshakeTimeout(50 * time.Millisecond)}})
	c := r.raw()
	if e := c.expectError(0, 1); !strings.Contains(e.Message, "no handshake") {
		t.Fatalf("got %+v", e)
	}
	c.closed()
	// It never became a session (it held nothing): a refusal.
	if e := r.sessionEvent(server.SessionRefused, 1); !errors.Is(e.Err, server.ErrHandshakeTimeout) {
		t.Fatalf("session end: %v", e.Err)
	}
}

// One client at a time: a second one is refused with ERROR_INIT, and is
// served once the first has gone.
func TestSecondClientRefused(t *testing.T) {
	r := newRig(t, rigOpts{})
	ctx := ctxT(t)
	first := client.New("first")
	if err := first.Connect(ctx, r.srv.Connector()); err != nil {
		t.Fatal(err)
	}
	c := r.raw()
	c.send(`[{"RequestServerInfo":{"Id":1,"ClientName":"second","MessageVersion":3}}]`)
	if e := c.expectError(1, 1); !strings.Contains(e.Message, `"first"`) {
		t.Fatalf("the refusal does not name the client: %s", e.Message)
	}
	c.closed()
	if e := r.sessionEvent(server.SessionRefused, 1); !errors.Is(e.Err, server.ErrBusy) {
		t.Fatalf("refusal %v", e.Err)
	}
	second := client.New("second")
	if err := second.Connect(ctx, r.srv.Connector()); err == nil {
		t.Fatal("second client connected while the first is")
	}
	if err := first.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := second.Connect(ctx, r.srv.Connector()); err != nil {
		t.Fatalf("after the first left: %v", err)
	}
	if err := second.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
}

// Each session starts afresh: a v2 client after a v3 one gets v2 shapes
// (the reference once leaked the version between sessions).
func TestFreshStatePerSession(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.connected("Lovense Hush")
	for _, v := range []int{3, 2, 4, 0} {
		c := r.raw()
		c.handshake(v)
		c.send(`[{"RequestDeviceList":{"Id":2}}]`)
		got := c.recv()
		wantKey := map[int]string{0: `"DeviceMessages":["`, 2: `"StepCount":[20]`, 3: `"ScalarCmd"`, 4: `"DeviceFeatures"`}[v]
		if !strings.Contains(got, wantKey) {
			t.Fatalf("v%d device list: %s", v, got)
		}
		c.c.Close()
	}
}

// A spec v4 Disconnect is answered with Ok, then the session ends.
func TestDisconnectMessage(t *testing.T) {
	r := newRig(t, rigOpts{})
	c := r.raw()
	c.handshake(4)
	c.send(`[{"Disconnect":{"Id":2}}]`)
	c.expect(`[{"Ok":{"Id":2}}]`)
	c.closed()
	if e := r.sessionEvent(server.SessionEnded, 1); e.Err != nil {
		t.Fatalf("a client that said goodbye ended with %v", e.Err)
	}
	// Disconnect is a spec v4 message only.
	c = r.raw()
	c.handshake(3)
	c.send(`[{"Disconnect":{"Id":2}}]`)
	c.expectError(2, 3)
}

// ScanningFinished goes only to a client that asked to scan: a scan that
// someone else started (another session, the application) may end while
// this client is connected, and it must not hear of it. A client that scans
// hears when its scan ends.
func TestScanningFinishedOnlyAfterStartScanning(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.connected("Lovense Hush")
	c := r.raw()
	c.handshake(4)
	// A scan the client did not ask for; simulated scans end by themselves.
	if err := r.m.StartScanning(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for r.m.Scanning() {
		time.Sleep(time.Millisecond)
	}
	// The manager's ScanningFinished is out; Ping round trips after it
	// must come back alone.
	for id := 2; id < 6; id++ {
		time.Sleep(20 * time.Millisecond)
		c.send(fmt.Sprintf(`[{"Ping":{"Id":%d}}]`, id))
		if got := c.recv(); got != fmt.Sprintf(`[{"Ok":{"Id":%d}}]`, id) {
			t.Fatalf("a client that did not scan got %s", got)
		}
	}
	// A simulated scan may end before the Ok is written: the two come in
	// either order.
	c.send(`[{"StartScanning":{"Id":20}}]`)
	var ok, finished bool
	for !ok || !finished {
		switch got := c.recv(); {
		case got == `[{"Ok":{"Id":20}}]`:
			ok = true
		case strings.Contains(got, `"ScanningFinished"`):
			finished = true
		default:
			t.Fatalf("after StartScanning: %s", got)
		}
	}
}
