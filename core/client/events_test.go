package client

import (
	"errors"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

func indexes(ds []*Device) []uint32 {
	out := []uint32{}
	for _, d := range ds {
		out = append(out, d.Index())
	}
	return out
}

// The application sees the same events whichever version the server
// speaks: v4 pushes whole DeviceLists, v3 DeviceAdded/DeviceRemoved.
func TestDeviceEventsBothVersions(t *testing.T) {
	newV4 := protocol.DeviceInfo{DeviceIndex: 7, DeviceName: "Late Toy", DeviceFeatures: map[uint32]protocol.Feature{0: {FeatureIndex: 0, Output: out(protocol.OutputVibrate, 0, 10)}}}
	newV3 := protocol.DeviceInfoV3{DeviceIndex: 7, DeviceName: "Late Toy", DeviceMessages: protocol.DeviceMessagesV3{ScalarCmd: []protocol.GenericAttributesV3{attr(protocol.ActuatorVibrate, 10, "")}}}
	tests := []struct {
		version protocol.Version
		initial []uint32
		add     func(*fakeserver.Session) error
		remove  uint32
	}{
		{protocol.Version4, []uint32{0, 1, 4}, func(s *fakeserver.Session) error { return s.AddDeviceV4(newV4) }, 1},
		{protocol.Version3, []uint32{0, 3}, func(s *fakeserver.Session) error { return s.AddDeviceV3(newV3) }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.version.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: tt.version, DevicesV4: devicesV4(), DevicesV3: devicesV3()})
			ev := expectEvent[Connected](t, h.ctx, h.events)
			if ev.Info.Version != tt.version {
				t.Errorf("Connected version %s", ev.Info.Version)
			}
			for _, idx := range tt.initial {
				if d := expectEvent[DeviceAdded](t, h.ctx, h.events).Device; d.Index() != idx {
					t.Errorf("DeviceAdded %v, want index %d", d, idx)
				}
			}
			deepEqual(t, "Devices()", indexes(h.c.Devices()), tt.initial)

			if err := tt.add(h.sess); err != nil {
				t.Fatal(err)
			}
			added := expectEvent[DeviceAdded](t, h.ctx, h.events).Device
			if added.Index() != 7 || added.Name() != "Late Toy" || !added.Connected() {
				t.Errorf("added %v connected=%v", added, added.Connected())
			}
			if d, ok := h.c.Device(7); !ok || d != added {
				t.Error("Device(7) is not the added device")
			}

			gone := h.device(tt.remove)
			if err := h.sess.RemoveDevice(tt.remove); err != nil {
				t.Fatal(err)
			}
			if d := expectEvent[DeviceRemoved](t, h.ctx, h.events).Device; d != gone {
				t.Errorf("DeviceRemoved %v, want %v", d, gone)
			}
			if gone.Connected() {
				t.Error("removed device still reports connected")
			}
			if _, ok := h.c.Device(tt.remove); ok {
				t.Error("removed device still listed")
			}
			if err := gone.Vibrate(h.ctx, Fraction(0.1)); !errors.Is(err, ErrDeviceGone) {
				t.Errorf("Vibrate on a removed device = %v, want ErrDeviceGone", err)
			}

			if err := h.sess.Send(&protocol.ScanningFinished{}); err != nil {
				t.Fatal(err)
			}
			expectEvent[ScanningFinished](t, h.ctx, h.events)

			if err := h.sess.Send(protocol.NewError(0, protocol.ErrorDevice, "device fell over")); err != nil {
				t.Fatal(err)
			}
			se := expectEvent[ServerError](t, h.ctx, h.events)
			if se.Err.ErrorCode != protocol.ErrorDevice || se.Err.ErrorMessage != "device fell over" {
				t.Errorf("ServerError %+v", se.Err)
			}
			if !h.c.Connected() {
				t.Error("a server error event disconnected the client")
			}
		})
	}
}

func TestDeviceChangedIsRemovedAndAdded(t *testing.T) {
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		t.Run(v.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: v, DevicesV4: devicesV4()[:1], DevicesV3: devicesV3()[:1]})
			skipUntil[DeviceAdded](t, h.ctx, h.events)
			old := h.device(0)
			var err error
			if v == protocol.Version4 {
				info := devicesV4()[0]
				info.DeviceName = "Renamed"
				err = h.sess.Send(&protocol.DeviceList{Devices: map[uint32]protocol.DeviceInfo{0: info}})
			} else {
				info := devicesV3()[0]
				info.DeviceName = "Renamed"
				err = h.sess.Send(&protocol.DeviceAddedV3{DeviceInfoV3: info})
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := expectEvent[DeviceRemoved](t, h.ctx, h.events).Device; d != old {
				t.Errorf("removed %v", d)
			}
			if d := expectEvent[DeviceAdded](t, h.ctx, h.events).Device; d.Name() != "Renamed" || d == old {
				t.Errorf("added %v", d)
			}
			// The same description again changes nothing.
			if v == protocol.Version4 {
				info := devicesV4()[0]
				info.DeviceName = "Renamed"
				err = h.sess.Send(&protocol.DeviceList{Devices: map[uint32]protocol.DeviceInfo{0: info}})
			} else {
				info := devicesV3()[0]
				info.DeviceName = "Renamed"
				err = h.sess.Send(&protocol.DeviceAddedV3{DeviceInfoV3: info})
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := h.c.StopScanning(h.ctx); err != nil { // round trip
				t.Fatal(err)
			}
			h.noEventsBefore(h.events)
		})
	}
}

func TestRefreshDevices(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	skipUntil[DeviceAdded](t, h.ctx, h.events)
	skipUntil[DeviceAdded](t, h.ctx, h.events)
	skipUntil[DeviceAdded](t, h.ctx, h.events)
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(*protocol.RequestDeviceList); ok {
			return []protocol.Message{&protocol.DeviceList{ID: m.MessageID(), Devices: map[uint32]protocol.DeviceInfo{1: devicesV4()[1]}}}, true
		}
		return nil, false
	})
	if err := h.c.RefreshDevices(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.expect(rdl)
	for _, want := range []uint32{0, 4} {
		if d := expectEvent[DeviceRemoved](t, h.ctx, h.events).Device; d.Index() != want {
			t.Errorf("removed %v, want %d", d, want)
		}
	}
	deepEqual(t, "Devices()", indexes(h.c.Devices()), []uint32{1})
}

func TestDeviceDescriptionV4(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	d := h.device(1)
	if d.Name() != "Test Stroker" || d.DisplayName() != "My Stroker" || d.MessageTimingGap() != 50*time.Millisecond {
		t.Errorf("device %q %q %v", d.Name(), d.DisplayName(), d.MessageTimingGap())
	}
	want := []Feature{
		{Index: 0, Outputs: []Output{
			{Type: protocol.OutputPosition, Range: rng(0, 100)},
			{Type: protocol.OutputHwPositionWithDuration, Range: rng(0, 100), Duration: rngp(0, 10000)},
		}},
		{Index: 1, Outputs: []Output{{Type: protocol.OutputOscillate, Range: rng(0, 10)}}},
		{Index: 2, Inputs: []Input{{Type: protocol.InputButton, Ranges: protocol.RangeList{rng(0, 1)}, Commands: []protocol.InputCommandType{sub, unsub}}}},
	}
	deepEqual(t, "Features()", d.Features(), want)
	if !d.HasOutput(protocol.OutputOscillate) || d.HasOutput(protocol.OutputVibrate) {
		t.Error("HasOutput")
	}
	if !d.HasInput(protocol.InputButton, sub) || d.HasInput(protocol.InputButton, read) {
		t.Error("HasInput")
	}
	if r, _ := h.device(0).Feature(1); !r.Outputs[0].Signed() {
		t.Error("rotator with range [-20,20] is not signed")
	}
	// Features returns copies.
	fs := d.Features()
	fs[0].Outputs[0].Range[1] = 1
	fs[0].Outputs[1].Duration[1] = 1
	deepEqual(t, "Features() after changing a copy", d.Features(), want)
}

func TestDeviceDescriptionV3(t *testing.T) {
	h := start(t, fakeserver.Config{Version: protocol.Version3, DevicesV3: devicesV3()})
	d := h.device(3)
	if d.Name() != "Test Stroker v3" || d.DisplayName() != "My Stroker" || d.MessageTimingGap() != 0 {
		t.Errorf("device %q %q %v", d.Name(), d.DisplayName(), d.MessageTimingGap())
	}
	rw := []protocol.InputCommandType{read, sub, unsub}
	want := []Feature{
		{Index: 0, Description: "Position", Outputs: []Output{{Type: protocol.OutputPosition, Range: rng(0, 100)}}},
		{Index: 1, Description: "Squeeze", Outputs: []Output{{Type: protocol.OutputConstrict, Range: rng(0, 5)}}},
		{Index: 2, Description: "Pump", Outputs: []Output{{Type: protocol.OutputInflate, Range: rng(0, 7)}}},
		{Index: 3, Description: "Stroke", Outputs: []Output{{Type: protocol.OutputHwPositionWithDuration, Range: rng(0, 100)}}},
		{Index: 4, Description: "Battery Level", Inputs: []Input{{Type: protocol.InputBattery, Ranges: protocol.RangeList{rng(0, 100)}, Commands: []protocol.InputCommandType{read}}}},
		{Index: 5, Description: "Signal", Inputs: []Input{{Type: protocol.InputRssi, Ranges: protocol.RangeList{rng(-100, 0)}, Commands: rw}}},
		{Index: 6, Description: "Pressure", Inputs: []Input{{Type: protocol.InputPressure, Ranges: protocol.RangeList{rng(0, 1000)}, Commands: []protocol.InputCommandType{sub, unsub}}}},
	}
	deepEqual(t, "Features()", d.Features(), want)
	v := h.device(0)
	if f, _ := v.Feature(3); len(f.Outputs) != 1 || f.Outputs[0].Type != protocol.OutputRotate || f.Outputs[0].Range != rng(-24, 24) {
		t.Errorf("RotateCmd feature %+v, want a signed Rotate output", f)
	}
	if v.MessageTimingGap() != 100*time.Millisecond {
		t.Errorf("gap %v", v.MessageTimingGap())
	}
}

func TestInputSubscriptions(t *testing.T) {
	type step struct {
		device  uint32
		feature uint32
		typ     protocol.InputType
		sub     string // frame of the subscribe
		push    protocol.Message
		values  []int32
		unsub   string
	}
	tests := []struct {
		version protocol.Version
		steps   []step
	}{
		{protocol.Version4, []step{{
			device: 1, feature: 2, typ: protocol.InputButton,
			sub:    `[{"InputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":2,"Type":"Button","Command":"Subscribe"}}]`,
			push:   &protocol.InputReading{DeviceIndex: 1, FeatureIndex: 2, Reading: protocol.InputValue{Type: protocol.InputButton, Value: 1}},
			values: []int32{1},
			unsub:  `[{"InputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":2,"Type":"Button","Command":"Unsubscribe"}}]`,
		}}},
		{protocol.Version3, []step{{
			device: 3, feature: 5, typ: protocol.InputRssi,
			sub:    `[{"SensorSubscribeCmd":{"Id":*,"DeviceIndex":3,"SensorIndex":1,"SensorType":"RSSI"}}]`,
			push:   &protocol.SensorReading{DeviceIndex: 3, SensorIndex: 1, SensorType: protocol.SensorRSSI, Data: []int32{-40}},
			values: []int32{-40},
			unsub:  `[{"SensorUnsubscribeCmd":{"Id":*,"DeviceIndex":3,"SensorIndex":1,"SensorType":"RSSI"}}]`,
		}, {
			device: 3, feature: 6, typ: protocol.InputPressure,
			sub:    `[{"SensorSubscribeCmd":{"Id":*,"DeviceIndex":3,"SensorIndex":0,"SensorType":"Pressure"}}]`,
			push:   &protocol.SensorReading{DeviceIndex: 3, SensorIndex: 0, SensorType: protocol.SensorPressure, Data: []int32{300, 301}},
			values: []int32{300, 301},
			unsub:  `[{"SensorUnsubscribeCmd":{"Id":*,"DeviceIndex":3,"SensorIndex":0,"SensorType":"Pressure"}}]`,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.version.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: tt.version, DevicesV4: devicesV4(), DevicesV3: devicesV3()})
			skipUntil[Connected](t, h.ctx, h.events)
			for range h.c.Devices() {
				expectEvent[DeviceAdded](t, h.ctx, h.events)
			}
			for _, st := range tt.steps {
				d := h.device(st.device)
				s1, err := d.SubscribeInput(h.ctx, st.feature, st.typ, 4)
				if err != nil {
					t.Fatal(err)
				}
				h.expect(st.sub)
				s2, err := d.SubscribeInput(h.ctx, st.feature, st.typ, 4)
				if err != nil {
					t.Fatal(err)
				}
				if err := h.sess.Send(st.push); err != nil {
					t.Fatal(err)
				}
				want := InputReading{Device: d, Feature: st.feature, Type: st.typ, Values: st.values}
				deepEqual(t, "client event", expectEvent[InputReading](t, h.ctx, h.events), want)
				deepEqual(t, "first subscription", expectEvent[InputReading](t, h.ctx, s1.sub), want)
				deepEqual(t, "second subscription", expectEvent[InputReading](t, h.ctx, s2.sub), want)

				// The first unsubscribe keeps the server subscription for s2.
				if err := s1.Unsubscribe(h.ctx); err != nil {
					t.Fatal(err)
				}
				if _, open := <-s1.C(); open {
					t.Error("s1 channel still open")
				}
				if err := s2.Unsubscribe(h.ctx); err != nil {
					t.Fatal(err)
				}
				h.expect(st.unsub)
				h.expectNothingSent()
			}
		})
	}
}

func TestUnsubscribeInputEndsAll(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	d := h.device(4)
	s1, err := d.SubscribeInput(h.ctx, 6, protocol.InputRssi, 1)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := d.SubscribeInput(h.ctx, 6, protocol.InputRssi, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.expect(`[{"InputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":6,"Type":"Rssi","Command":"Subscribe"}}]`)
	if err := d.UnsubscribeInput(h.ctx, 6, protocol.InputRssi); err != nil {
		t.Fatal(err)
	}
	h.expect(`[{"InputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":6,"Type":"Rssi","Command":"Unsubscribe"}}]`)
	for _, s := range []*InputSubscription{s1, s2} {
		if _, open := <-s.C(); open {
			t.Error("subscription still open")
		}
		if err := s.Unsubscribe(h.ctx); err != nil {
			t.Errorf("Unsubscribe after UnsubscribeInput = %v", err)
		}
	}
	h.expectNothingSent()
}

func TestSubscriptionEndsWithDevice(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	d := h.device(1)
	s, err := d.SubscribeInput(h.ctx, 2, protocol.InputButton, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sess.RemoveDevice(1); err != nil {
		t.Fatal(err)
	}
	for range s.C() { // ends when the device goes
	}
	if _, err := d.SubscribeInput(h.ctx, 2, protocol.InputButton, 1); !errors.Is(err, ErrDeviceGone) {
		t.Errorf("SubscribeInput on a removed device = %v", err)
	}
	if err := s.Unsubscribe(h.ctx); err != nil {
		t.Errorf("Unsubscribe of an ended subscription = %v", err)
	}
}

func TestFailedSubscribeLeavesNothing(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if _, ok := m.(*protocol.InputCmd); ok {
			return []protocol.Message{protocol.NewError(m.MessageID(), protocol.ErrorDevice, "no")}, true
		}
		return nil, false
	})
	d := h.device(1)
	if _, err := d.SubscribeInput(h.ctx, 2, protocol.InputButton, 1); err == nil {
		t.Fatal("SubscribeInput succeeded")
	}
	h.sess.SetHandler(nil)
	if _, err := d.SubscribeInput(h.ctx, 2, protocol.InputButton, 1); err != nil {
		t.Fatal(err)
	}
	h.next()
	// The second attempt had to ask the server again: nothing was left over.
	h.expect(`[{"InputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":2,"Type":"Button","Command":"Subscribe"}}]`)
}
