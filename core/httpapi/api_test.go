package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/httpapi"
	"github.com/bphost/bphost/core/protocol"
)

// Every route of the Engine's REST API, and bphost's additions, on their
// happy path, with the bytes the toys received.
func TestRoutes(t *testing.T) {
	r := newRig(t, true)
	hush, vorze := r.index("Lovense Hush"), r.index("Vorze A10 Cyclone SA")
	sdHush := r.sim("Lovense Hush")
	dev := "/api/v1/devices/" + hush

	st, body := r.do("GET", "/api/v1/devices")
	var list map[string]struct {
		Index    uint32                     `json:"index"`
		Name     string                     `json:"name"`
		Features map[string]json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal([]byte(body), &list); st != 200 || err != nil {
		t.Fatalf("devices: %d %s (%v)", st, body, err)
	}
	if d := list[hush]; d.Name != "Lovense Hush" || len(d.Features) != 2 {
		t.Fatalf("devices[%s] = %+v, want the Hush with 2 features", hush, d)
	}
	if list[vorze].Name != "Vorze A10 Cyclone SA" {
		t.Fatalf("devices[%s] = %+v", vorze, list[vorze])
	}

	checks := []struct {
		method, path string
		want         string // in the body
		write        string // the Hush's last write afterwards, "" for none
	}{
		{"GET", dev, `"name":"Lovense Hush"`, ""},
		{"GET", dev + "/features", `"Vibrate":{"Value":[0,20]}`, ""},
		{"GET", dev + "/features/0", `"Vibrate":{"Value":[0,20]}`, ""},
		{"PUT", dev + "/features/1/", `"Battery"`, ""},
		{"PUT", dev + "/outputs/Vibrate/0.5", "", "Vibrate:10;"},
		{"PUT", dev + "/features/0/outputs/vibrate/0.25", "", "Vibrate:5;"},
		{"GET", dev + "/battery", `"value":` + jsonString(simulated.DefaultBattery), "Battery;"},
		{"GET", dev + "/features/1/inputs/Battery", `"input":"Battery"`, "Battery;"},
		{"PUT", dev + "/outputs/Vibrate/1", "", "Vibrate:20;"},
		{"PUT", dev + "/stop", "", "Vibrate:0;"},
		{"PUT", dev + "/outputs/Vibrate/0.05", "", "Vibrate:1;"},
		{"PUT", "/api/v1/devices/stop", "", "Vibrate:0;"},
		{"GET", "/api/v1/status", `"server":"bphost"`, ""},
		{"GET", "/api/v1/stop-scanning", "", ""},
		{"GET", "/api/v1/start-scanning", "", ""},
	}
	for _, c := range checks {
		st, body := r.do(c.method, c.path)
		if st != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s %s = %d %s, want 200 with %s", c.method, c.path, st, body, c.want)
			continue
		}
		if c.write != "" {
			lastWrite(t, sdHush, c.write)
		}
	}

	// Signed outputs take -1..1: a counter-clockwise Vorze turn.
	sdVorze := r.sim("Vorze A10 Cyclone SA")
	if st, body := r.do("PUT", "/api/v1/devices/"+vorze+"/outputs/Rotate/-0.5"); st != 200 {
		t.Fatalf("rotate -0.5: %d %s", st, body)
	}
	ws := sdVorze.Writes()
	if len(ws) == 0 {
		t.Fatal("the Vorze received nothing")
	}
	if got := ws[len(ws)-1].Data; len(got) != 3 || got[2] != 50 {
		t.Fatalf("Vorze received %v, want speed 50 (ceil 0.5 of 99) counter-clockwise", got)
	}

	// A stroker's move takes ?duration=MS.
	sdKeon := r.sim("Kiiroo Keon")
	before := len(sdKeon.Writes())
	if st, body := r.do("PUT", "/api/v1/devices/"+r.index("Kiiroo Keon")+"/outputs/HwPositionWithDuration/1?duration=500"); st != 200 {
		t.Fatalf("position 1 over 500 ms: %d %s", st, body)
	}
	if ws := sdKeon.Writes(); len(ws) <= before {
		t.Fatal("the Keon received nothing")
	}
}

// Bad input gets a 4xx with a JSON error and a Buttplug code, and nothing
// reaches a toy.
func TestBadInput(t *testing.T) {
	r := newRig(t, true)
	hush, vorze, keon := r.index("Lovense Hush"), r.index("Vorze A10 Cyclone SA"), r.index("Kiiroo Keon")
	dev := "/api/v1/devices/" + hush
	cases := []struct {
		name, method, path string
		status             int
		code               string
		says               string
	}{
		{"unknown device", "PUT", "/api/v1/devices/9/outputs/Vibrate/0.5", 404, "ERROR_DEVICE", "device index 9"},
		{"unknown device info", "GET", "/api/v1/devices/9", 404, "ERROR_DEVICE", "device index 9"},
		{"unknown device stop", "PUT", "/api/v1/devices/9/stop", 404, "ERROR_DEVICE", "device index 9"},
		{"device not a number", "PUT", "/api/v1/devices/one/outputs/Vibrate/0.5", 400, "ERROR_MSG", `"one" is not a number`},
		{"negative device", "GET", "/api/v1/devices/-1", 400, "ERROR_MSG", "not a number"},
		{"unknown feature", "PUT", dev + "/features/7/outputs/Vibrate/0.5", 404, "ERROR_DEVICE", "no feature 7"},
		{"unknown feature info", "GET", dev + "/features/7", 404, "ERROR_DEVICE", "no feature 7"},
		{"feature not a number", "PUT", dev + "/features/x/outputs/Vibrate/0.5", 400, "ERROR_MSG", `feature index "x"`},
		{"unknown type", "PUT", dev + "/outputs/Wiggle/0.5", 400, "ERROR_MSG", `"Wiggle" is not an output type`},
		{"type the device lacks", "PUT", dev + "/outputs/Rotate/0.5", 400, "ERROR_DEVICE", "has no Rotate output"},
		{"type the feature lacks", "PUT", dev + "/features/1/outputs/Vibrate/0.5", 400, "ERROR_DEVICE", "feature 1 has no Vibrate"},
		{"position without duration", "PUT", dev + "/outputs/HwPositionWithDuration/0.5", 400, "ERROR_MSG", "needs ?duration=MS"},
		{"position, duration not a number", "PUT", "/api/v1/devices/" + keon + "/outputs/HwPositionWithDuration/0.5?duration=soon", 400, "ERROR_MSG", `(got "soon")`},
		{"position, duration too long", "PUT", "/api/v1/devices/" + keon + "/outputs/HwPositionWithDuration/0.5?duration=100001", 400, "ERROR_MSG", "out of range"},
		{"level above 1", "PUT", dev + "/outputs/Vibrate/1.5", 400, "ERROR_MSG", "out of range"},
		{"negative level, unsigned output", "PUT", dev + "/features/0/outputs/Vibrate/-0.5", 400, "ERROR_MSG", "out of range"},
		{"signed level below -1", "PUT", "/api/v1/devices/" + vorze + "/outputs/Rotate/-1.01", 400, "ERROR_MSG", "out of range"},
		{"level NaN", "PUT", dev + "/outputs/Vibrate/NaN", 400, "ERROR_MSG", "not a number"},
		{"level infinite", "PUT", dev + "/outputs/Vibrate/+Inf", 400, "ERROR_MSG", "not a number"},
		{"level not a number", "PUT", dev + "/outputs/Vibrate/half", 400, "ERROR_MSG", `level "half"`},
		{"level hex", "PUT", dev + "/outputs/Vibrate/0x1p-1", 200, "", ""}, // Go's float syntax: 0.5
		{"no battery", "GET", "/api/v1/devices/" + vorze + "/battery", 400, "ERROR_DEVICE", "has no battery"},
		{"input the feature lacks", "GET", dev + "/features/1/inputs/Pressure", 400, "ERROR_DEVICE", "no Pressure input"},
		{"unknown input type", "GET", dev + "/features/1/inputs/Mood", 400, "ERROR_MSG", `"Mood" is not an input type`},
		{"unknown route", "GET", "/api/v1/nothing-here", 404, "ERROR_MSG", "no route"},
		{"wrong method", "GET", dev + "/outputs/Vibrate/0.5", 404, "ERROR_MSG", "no route GET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := r.writes()
			res, body := r.request(c.method, c.path, nil)
			if res.StatusCode != c.status {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, res.StatusCode, body, c.status)
			}
			if c.status == 200 {
				return
			}
			var e struct {
				Error    string `json:"error"`
				Code     int    `json:"code"`
				CodeName string `json:"code_name"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("body %q (%s) is not a JSON error: %v", body, res.Header.Get("Content-Type"), err)
			}
			if e.CodeName != c.code || !strings.Contains(e.Error, c.says) {
				t.Fatalf("error %+v, want %s saying %q", e, c.code, c.says)
			}
			if after := r.writes(); after != before {
				t.Fatalf("toys received %d writes on a refused request", after-before)
			}
		})
	}
}

// The event stream reports devices, clients, readings and what simulated
// toys received.
func TestEvents(t *testing.T) {
	r := newRig(t, false)
	s := r.events()
	hello := s.next(httpapi.EventHello, nil)
	if hello.Status == nil || hello.Status.Server != "bphost" || hello.Status.Devices != 0 || hello.Status.Client != nil {
		t.Fatalf("hello %+v", hello.Status)
	}
	if st, body := r.do("GET", "/api/v1/start-scanning"); st != 200 {
		t.Fatalf("scan: %d %s", st, body)
	}
	added := s.next(httpapi.EventDeviceAdded, func(e httpapi.Event) bool { return e.Name == "Lovense Hush" })
	r.waitDevices(len(toys))
	hush := r.index("Lovense Hush")
	if added.Device == nil || jsonString(*added.Device) != hush {
		t.Fatalf("device-added %+v, want index %s", added, hush)
	}

	if st, body := r.do("PUT", "/api/v1/devices/"+hush+"/outputs/Vibrate/0.5"); st != 200 {
		t.Fatalf("vibrate: %d %s", st, body)
	}
	w := s.next(httpapi.EventWrite, func(e httpapi.Event) bool { return e.Text == "Vibrate:10;" })
	if w.Name != "Lovense Hush" || w.Endpoint != "tx" || w.Device == nil || len(w.Bytes) != len("Vibrate:10;") || w.Bytes[0] != 'V' {
		t.Fatalf("write event %+v", w)
	}
	if st, _ := r.do("GET", "/api/v1/devices/"+hush+"/battery"); st != 200 {
		t.Fatal("battery read failed")
	}
	rd := s.next(httpapi.EventInputReading, nil)
	if rd.Input != "Battery" || rd.Value == nil || *rd.Value != simulated.DefaultBattery {
		t.Fatalf("reading %+v", rd)
	}

	ctx := ctxT(t)
	c := client.New("panel test app")
	if err := c.Connect(ctx, r.e.Connector()); err != nil {
		t.Fatal(err)
	}
	joined := s.next(httpapi.EventClientJoined, nil)
	if joined.Client != "panel test app" || joined.Version == "" {
		t.Fatalf("client-connected %+v", joined)
	}
	if st, body := r.do("GET", "/api/v1/status"); !strings.Contains(body, `"client":{"name":"panel test app"`) {
		t.Fatalf("status while connected: %d %s", st, body)
	}
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	s.next(httpapi.EventClientLeft, func(e httpapi.Event) bool { return e.Client == "panel test app" })
	if _, body := r.do("GET", "/api/v1/status"); !strings.Contains(body, `"client":null`) {
		t.Fatalf("status after the client left: %s", body)
	}
	if st, _ := r.do("PUT", "/api/v1/devices/stop"); st != 200 {
		t.Fatal("stop failed")
	}
	s.next(httpapi.EventStopped, nil)

	r.sim("Vorze A10 Cyclone SA").Disconnect()
	gone := s.next(httpapi.EventDeviceRemoved, nil)
	if gone.Name != "Vorze A10 Cyclone SA" || gone.Device == nil || jsonString(*gone.Device) != r.index("Vorze A10 Cyclone SA") {
		t.Fatalf("device-removed %+v", gone)
	}
}

// Once closed, the API moves no toy and ends its event streams.
func TestCloseStopsDriving(t *testing.T) {
	r := newRig(t, true)
	hush := r.index("Lovense Hush")
	s := r.events()
	s.next(httpapi.EventHello, nil)
	r.api.Close()
	before := r.writes()
	st, body := r.do("PUT", "/api/v1/devices/"+hush+"/outputs/Vibrate/0.5")
	if st != 503 || !strings.Contains(body, "closed") {
		t.Fatalf("output after Close = %d %s, want 503", st, body)
	}
	if r.writes() != before {
		t.Fatal("a toy received a write after Close")
	}
	for range s.ch { // the stream ends
	}
}

// Readings of inputs a Buttplug client subscribed to reach the stream.
func TestSubscribedReadings(t *testing.T) {
	r := newRigOf(t, true, "KGoal Boost")
	s := r.events()
	ctx := ctxT(t)
	d, ok := r.e.Devices.Device(0)
	if !ok {
		t.Fatal("no KGoal Boost")
	}
	if _, err := d.Input(ctx, 0, protocol.InputPressure, protocol.InputCommandSubscribe); err != nil {
		t.Fatal(err)
	}
	if !r.sim("KGoal Boost").Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 0x01, 0x02, 0x03, 0x04}) {
		t.Fatal("pressure endpoint not subscribed")
	}
	rd := s.next(httpapi.EventInputReading, nil)
	if rd.Input != "Pressure" || rd.Value == nil || *rd.Value != 0x0102 || rd.Feature == nil || *rd.Feature != 0 {
		t.Fatalf("reading %+v", rd)
	}
}
