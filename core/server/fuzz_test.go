package server_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// Writes a Lovense Nora may get: its handshake, battery query, and values
// inside its 20 steps.
var noraWrite = regexp.MustCompile(`^(DeviceType;|Battery;|RotateChange;|(Vibrate|Rotate):(\d+);)$`)

// FuzzServerFrames sends one arbitrary frame into a session of each spec
// version and checks that the server answers everything it sends in a form
// the client's version can decode, that the session goes on (a Ping after
// the frame is answered) unless the frame said Disconnect, and that nothing
// out of range reaches the device. Seeds are in testdata/fuzz.
func FuzzServerFrames(f *testing.F) {
	for _, s := range []struct {
		v     uint8
		frame string
	}{
		{4, `[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]`},
		{4, `[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":1,"Command":{"Rotate":{"Value":-20}}}},{"StopCmd":{"Id":3}}]`},
		{4, `[{"InputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]`},
		{3, `[{"ScalarCmd":{"Id":2,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":7,"ActuatorType":"Vibrate"}]}}]`},
		{3, `[{"RotateCmd":{"Id":2,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":false}]}}]`},
		{2, `[{"VibrateCmd":{"Id":2,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1}]}},{"BatteryLevelCmd":{"Id":3,"DeviceIndex":0}}]`},
		{0, `[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":0,"Speed":0.5}}]`},
		{1, `[{"RequestServerInfo":{"Id":2,"ClientName":"again","MessageVersion":1}}]`},
		{4, `[{"Ping":`},
	} {
		f.Add(s.v, []byte(s.frame))
	}
	r := newRig(f, rigOpts{})
	nora := r.connected("Lovense Nora")
	f.Fuzz(func(t *testing.T, version uint8, frame []byte) {
		v := protocol.Version(version % 5)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn := r.srv.Connector()
		if err := conn.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := &raw{t: t, c: conn}
		c.handshake(int(v))
		if err := conn.Send(ctx, frame); err != nil {
			t.Fatal(err)
		}
		const pingID = 4242
		pingSent := conn.Send(ctx, []byte(`[{"Ping":{"Id":`+strconv.Itoa(pingID)+`}}]`)) == nil
		dec := protocol.Decoder{Version: v}
		for {
			f, err := conn.Recv(ctx)
			if err != nil {
				if errors.Is(err, connector.ErrDisconnected) && v == protocol.Version4 && strings.Contains(string(frame), "Disconnect") {
					break // the frame may have said goodbye
				}
				t.Fatalf("no answer to the Ping after %q (sent %v): %v", frame, pingSent, err)
			}
			msgs, err := dec.Decode(f)
			if err != nil {
				t.Fatalf("the server sent a frame a spec %s client cannot decode: %s: %v", v, f, err)
			}
			if len(msgs) == 1 && msgs[0].MessageID() == pingID {
				if _, ok := msgs[0].(*protocol.Ok); !ok {
					t.Fatalf("Ping answered with %s", f)
				}
				break
			}
		}
		for _, w := range writes(nora) {
			m := noraWrite.FindStringSubmatch(w)
			if m == nil {
				t.Fatalf("the device got %q", w)
			}
			if m[3] != "" {
				if n, _ := strconv.Atoi(m[3]); n > 20 {
					t.Fatalf("out of range write %q after %q", w, frame)
				}
			}
		}
	})
}

// The seed corpus runs as a plain test too; this checks the fuzz target
// can fail: a device write outside the pattern is reported.
func TestFuzzWritePattern(t *testing.T) {
	for w, ok := range map[string]bool{"Vibrate:20;": true, "Vibrate:140;": true, "Vibrate:1.5;": false, "Air:Level:3;": false} {
		if got := noraWrite.MatchString(w); got != ok {
			t.Errorf("%q matched %v", w, got)
		}
	}
	if m := noraWrite.FindStringSubmatch("Vibrate:140;"); m[3] != "140" {
		t.Fatal(fmt.Sprint(m))
	}
}
