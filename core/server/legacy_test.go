package server_test

import (
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/server"
)

// The device list of each old version, for a vibrator (Hush) and a
// vibrator-rotator (Nora): spec v3 ScalarCmd/RotateCmd/SensorReadCmd
// arrays, v2 feature and step counts, v1 feature counts with
// SingleMotorVibrateCmd, v0 command names.
func TestLegacyDeviceLists(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.connected("Lovense Hush")
	r.connected("Lovense Nora")
	want := map[int]string{
		0: `[{"DeviceList":{"Id":2,"Devices":[
			{"DeviceIndex":0,"DeviceName":"Lovense Hush","DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"]},
			{"DeviceIndex":1,"DeviceName":"Lovense Nora","DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"]}]}}]`,
		1: `[{"DeviceList":{"Id":2,"Devices":[
			{"DeviceIndex":0,"DeviceName":"Lovense Hush","DeviceMessages":{"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1}}},
			{"DeviceIndex":1,"DeviceName":"Lovense Nora","DeviceMessages":{"RotateCmd":{"FeatureCount":1},"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1}}}]}}]`,
		2: `[{"DeviceList":{"Id":2,"Devices":[
			{"DeviceIndex":0,"DeviceName":"Lovense Hush","DeviceMessages":{"BatteryLevelCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}}},
			{"DeviceIndex":1,"DeviceName":"Lovense Nora","DeviceMessages":{"BatteryLevelCmd":{},"RotateCmd":{"FeatureCount":1,"StepCount":[20]},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":1,"StepCount":[20]}}}]}}]`,
		3: `[{"DeviceList":{"Id":2,"Devices":[
			{"DeviceIndex":0,"DeviceName":"Lovense Hush","DeviceMessageTimingGap":0,"DeviceMessages":{
				"ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"N/A","StepCount":20}],
				"SensorReadCmd":[{"FeatureDescriptor":"battery Level","SensorRange":[[0,100]],"SensorType":"Battery"}],
				"StopDeviceCmd":{}}},
			{"DeviceIndex":1,"DeviceName":"Lovense Nora","DeviceMessageTimingGap":0,"DeviceMessages":{
				"ScalarCmd":[{"ActuatorType":"Vibrate","FeatureDescriptor":"N/A","StepCount":20},{"ActuatorType":"Rotate","FeatureDescriptor":"N/A","StepCount":20}],
				"RotateCmd":[{"ActuatorType":"Rotate","FeatureDescriptor":"N/A","StepCount":20}],
				"SensorReadCmd":[{"FeatureDescriptor":"battery Level","SensorRange":[[0,100]],"SensorType":"Battery"}],
				"StopDeviceCmd":{}}}]}}]`,
	}
	for v := 0; v <= 3; v++ {
		c := r.raw()
		c.handshake(v)
		c.roundTrip(`[{"RequestDeviceList":{"Id":2}}]`, want[v])
		c.c.Close()
	}
}

// Old commands reach the same device features as spec v4 ones.
func TestLegacyCommands(t *testing.T) {
	cases := []struct {
		version     int
		frame, want string
		write       string // the device write it causes, if any
	}{
		{0, `[{"SingleMotorVibrateCmd":{"Id":2,"DeviceIndex":1,"Speed":0.5}}]`, `[{"Ok":{"Id":2}}]`, "Vibrate:10;"},
		{0, `[{"StopDeviceCmd":{"Id":3,"DeviceIndex":1}}]`, `[{"Ok":{"Id":3}}]`, "Vibrate:0;"},
		{1, `[{"VibrateCmd":{"Id":2,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.25}]}}]`, `[{"Ok":{"Id":2}}]`, "Vibrate:5;"},
		{1, `[{"RotateCmd":{"Id":3,"DeviceIndex":1,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]`, `[{"Ok":{"Id":3}}]`, "Rotate:10;"},
		{1, `[{"StopAllDevices":{"Id":4}}]`, `[{"Ok":{"Id":4}}]`, "Rotate:0;"},
		{2, `[{"BatteryLevelCmd":{"Id":2,"DeviceIndex":0}}]`, `[{"BatteryLevelReading":{"Id":2,"DeviceIndex":0,"BatteryLevel":0.85}}]`, "Battery;"},
		{2, `[{"RequestLog":{"Id":3,"LogLevel":"Debug"}}]`, `[{"Ok":{"Id":3}}]`, ""},
		{1, `[{"Test":{"Id":5,"TestString":"hello"}}]`, `[{"Test":{"Id":5,"TestString":"hello"}}]`, ""},
		{3, `[{"ScalarCmd":{"Id":2,"DeviceIndex":1,"Scalars":[{"Index":1,"Scalar":0.75,"ActuatorType":"Rotate"},{"Index":0,"Scalar":0.1,"ActuatorType":"Vibrate"}]}}]`, `[{"Ok":{"Id":2}}]`, "Rotate:15;"},
		{3, `[{"RotateCmd":{"Id":3,"DeviceIndex":1,"Rotations":[{"Index":0,"Speed":1,"Clockwise":false}]}}]`, `[{"Ok":{"Id":3}}]`, "Rotate:20;"},
		{3, `[{"SensorReadCmd":{"Id":4,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]`, `[{"SensorReading":{"Id":4,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery","Data":[85]}}]`, ""},
		{3, `[{"RawWriteCmd":{"Id":5,"DeviceIndex":0,"Endpoint":"tx","Data":[1],"WriteWithResponse":false}}]`, `[{"Error":{"Id":5,"ErrorCode":4,"ErrorMessage":"RawWriteCmd is not supported by this server's devices"}}]`, ""},
	}
	r := newRig(t, rigOpts{})
	hush := r.connected("Lovense Hush")
	nora := r.connected("Lovense Nora")
	var c *raw
	version := -1
	for _, tc := range cases {
		if tc.version != version {
			if c != nil {
				c.c.Close()
			}
			c, version = r.raw(), tc.version
			c.handshake(version)
		}
		c.roundTrip(tc.frame, tc.want)
		if tc.write != "" {
			sd := hush
			if strings.Contains(tc.frame, `"DeviceIndex":1`) || strings.Contains(tc.frame, "StopAll") {
				sd = nora
			}
			hasWrite(t, sd, tc.write)
		}
	}
	// A counter-clockwise turn flips the Nora's direction first.
	if w := writes(nora); !strings.Contains(strings.Join(w, " "), "RotateChange; Rotate:20;") {
		t.Fatalf("nora writes %q", w)
	}
}

// Device arrivals and departures reach spec v4 clients as pushed device
// lists and older clients as one DeviceAdded/DeviceRemoved per change.
func TestDeviceEventsPerVersion(t *testing.T) {
	for _, v := range []int{4, 3, 2, 0} {
		t.Run(map[int]string{4: "v4", 3: "v3", 2: "v2", 0: "v0"}[v], func(t *testing.T) {
			r := newRig(t, rigOpts{})
			r.connected("Lovense Hush")
			c := r.raw()
			c.handshake(v)
			c.roundTrip(`[{"StartScanning":{"Id":2}}]`, `[{"Ok":{"Id":2}}]`)
			nora, err := r.sim.Add("Lovense Nora")
			if err != nil {
				t.Fatal(err)
			}
			// The device may be announced before the Ok: both are read below.
			c.send(`[{"StartScanning":{"Id":3}}]`)
			var added string
			if v == 4 {
				added = c.until(`"Lovense Nora"`)
				if !strings.HasPrefix(added, `[{"DeviceList":{"Devices":{"0":`) || !strings.Contains(added, `"Id":0}}]`) {
					t.Fatalf("pushed list %s", added)
				}
			} else {
				added = c.until(`"DeviceAdded"`)
				if !strings.Contains(added, `"DeviceIndex":1`) || !strings.Contains(added, `"Lovense Nora"`) || strings.Contains(added, "Hush") {
					t.Fatalf("added %s", added)
				}
			}
			nora.Disconnect()
			if v == 4 {
				removed := c.until(`"DeviceList"`)
				if strings.Contains(removed, "Nora") || !strings.Contains(removed, "Hush") {
					t.Fatalf("list after removal %s", removed)
				}
			} else {
				if got := c.until(`"DeviceRemoved"`); got != compact(t, []byte(`[{"DeviceRemoved":{"Id":0,"DeviceIndex":1}}]`)) {
					t.Fatalf("removed %s", got)
				}
			}
		})
	}
}

// Input subscriptions: spec v4 clients get InputReading events, spec v3
// clients SensorReading events with the index they subscribed with; the end
// of the session ends the subscription on the device.
func TestInputSubscriptions(t *testing.T) {
	for _, v := range []int{4, 3} {
		t.Run(map[int]string{4: "v4", 3: "v3"}[v], func(t *testing.T) {
			r := newRig(t, rigOpts{})
			sd := r.connected("KGoal Boost")
			c := r.raw()
			c.handshake(v)
			sub, reading, unsub := `[{"InputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Type":"Pressure","Command":"Subscribe"}}]`,
				`[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":0,"Reading":{"Pressure":{"Value":258}}}}]`,
				`[{"InputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Type":"Pressure","Command":"Unsubscribe"}}]`
			if v == 3 {
				c.send(`[{"RequestDeviceList":{"Id":9}}]`)
				if l := c.recv(); !strings.Contains(l, `"SensorSubscribeCmd":[{"FeatureDescriptor"`) {
					t.Fatalf("v3 list %s", l)
				}
				sub, reading, unsub = `[{"SensorSubscribeCmd":{"Id":2,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure"}}]`,
					`[{"SensorReading":{"Id":0,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure","Data":[258]}}]`,
					`[{"SensorUnsubscribeCmd":{"Id":3,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure"}}]`
			}
			c.roundTrip(sub, `[{"Ok":{"Id":2}}]`)
			if !sd.Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 0x01, 0x02, 0x03, 0x04}) {
				t.Fatal("not subscribed on the device")
			}
			c.expect(reading)
			c.roundTrip(unsub, `[{"Ok":{"Id":3}}]`)
			if sd.Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 9, 9, 9, 9}) {
				t.Fatal("still subscribed after unsubscribing")
			}
			c.roundTrip(strings.Replace(sub, `"Id":2`, `"Id":4`, 1), `[{"Ok":{"Id":4}}]`)
			c.c.Close()
			r.sessionEvent(server.SessionEnded, 1)
			if sd.Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 9, 9, 9, 9}) {
				t.Fatal("still subscribed after the session ended")
			}
			var unsubs int
			for _, rec := range sd.Records() {
				if rec.Kind == simulated.RecordUnsubscribe {
					unsubs++
				}
			}
			if unsubs != 2 {
				t.Fatalf("%d unsubscribes, want 2", unsubs)
			}
		})
	}
}
