package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

// deviceCase runs one device method and names the frames it must send.
type deviceCase struct {
	name   string
	run    func(ctx context.Context, h *harness) error
	frames []string
}

func runDeviceCases(t *testing.T, h *harness, cases []deviceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			if err := tc.run(h.ctx, h); err != nil {
				t.Fatalf("error: %v", err)
			}
			for _, want := range tc.frames {
				h.expect(want)
			}
			h.expectNothingSent()
		})
	}
}

func TestDeviceCommandsV4(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4(), Readings: map[protocol.InputType]int32{protocol.InputRssi: -40}})
	vib, stroker, multi := h.device(0), h.device(1), h.device(4)
	cases := []deviceCase{
		{"vibrate all", func(ctx context.Context, h *harness) error { return vib.Vibrate(ctx, Fraction(0.5)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]`}},
		{"vibrate rounds up", func(ctx context.Context, h *harness) error { return vib.Vibrate(ctx, Fraction(0.01)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]`}},
		{"vibrate feature in steps", func(ctx context.Context, h *harness) error { return vib.VibrateFeature(ctx, 0, Steps(20)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":20}}}}]`}},
		{"vibrate two vibrators", func(ctx context.Context, h *harness) error { return multi.Vibrate(ctx, Fraction(0.5)) },
			[]string{
				`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5}}}}]`,
				`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":8,"Command":{"Vibrate":{"Value":10}}}}]`,
			}},
		{"rotate clockwise", func(ctx context.Context, h *harness) error { return vib.Rotate(ctx, Fraction(0.5), true) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":1,"Command":{"Rotate":{"Value":10}}}}]`}},
		{"rotate counter-clockwise", func(ctx context.Context, h *harness) error { return vib.RotateFeature(ctx, 1, Steps(20), false) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":1,"Command":{"Rotate":{"Value":-20}}}}]`}},
		{"oscillate", func(ctx context.Context, h *harness) error { return stroker.Oscillate(ctx, Fraction(1)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":1,"Command":{"Oscillate":{"Value":10}}}}]`}},
		{"position", func(ctx context.Context, h *harness) error { return stroker.Position(ctx, Fraction(0.3)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Position":{"Value":30}}}}]`}},
		{"position with duration", func(ctx context.Context, h *harness) error {
			return stroker.PositionWithDuration(ctx, Fraction(0.91), 150*time.Millisecond)
		}, []string{`[{"OutputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":150}}}}]`}},
		{"position with duration on a feature", func(ctx context.Context, h *harness) error {
			return stroker.PositionWithDurationFeature(ctx, 0, Steps(5), 2*time.Second)
		}, []string{`[{"OutputCmd":{"Id":*,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":5,"Duration":2000}}}}]`}},
		{"constrict", func(ctx context.Context, h *harness) error { return multi.Constrict(ctx, Steps(5)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":1,"Command":{"Constrict":{"Value":5}}}}]`}},
		{"inflate", func(ctx context.Context, h *harness) error { return multi.Inflate(ctx, Fraction(1)) },
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":2,"Command":{"Inflate":{"Value":7}}}}]`}},
		{"temperature cooling", func(ctx context.Context, h *harness) error {
			return multi.Output(ctx, 3, protocol.OutputTemperature, Fraction(-1))
		}, []string{`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":3,"Command":{"Temperature":{"Value":-5}}}}]`}},
		{"led", func(ctx context.Context, h *harness) error {
			return multi.Output(ctx, 4, protocol.OutputLed, Steps(255))
		},
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":4,"Command":{"Led":{"Value":255}}}}]`}},
		{"spray", func(ctx context.Context, h *harness) error {
			return multi.Output(ctx, 5, protocol.OutputSpray, Fraction(1))
		},
			[]string{`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":5,"Command":{"Spray":{"Value":1}}}}]`}},
		{"run several", func(ctx context.Context, h *harness) error {
			return multi.Run(ctx, Command{Feature: 0, Type: protocol.OutputVibrate, Value: Steps(3)}, Command{Feature: 1, Type: protocol.OutputConstrict, Value: Fraction(0)})
		}, []string{
			`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":0,"Command":{"Vibrate":{"Value":3}}}}]`,
			`[{"OutputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":1,"Command":{"Constrict":{"Value":0}}}}]`,
		}},
		{"battery", func(ctx context.Context, h *harness) error {
			return wantInt(vib.Battery(ctx))(50)
		}, []string{`[{"InputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}}]`}},
		{"rssi", func(ctx context.Context, h *harness) error {
			return wantInt(multi.RSSI(ctx))(-40)
		}, []string{`[{"InputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":6,"Type":"Rssi","Command":"Read"}}]`}},
		{"read input", func(ctx context.Context, h *harness) error {
			v, err := multi.ReadInput(ctx, 7, protocol.InputPressure)
			return wantInt(first(v), err)(50)
		}, []string{`[{"InputCmd":{"Id":*,"DeviceIndex":4,"FeatureIndex":7,"Type":"Pressure","Command":"Read"}}]`}},
		{"stop device", func(ctx context.Context, h *harness) error { return vib.Stop(ctx) },
			[]string{`[{"StopCmd":{"Id":*,"DeviceIndex":0}}]`}},
		{"stop all", func(ctx context.Context, h *harness) error { return h.c.StopAllDevices(ctx) },
			[]string{`[{"StopCmd":{"Id":*}}]`}},
		{"scanning", func(ctx context.Context, h *harness) error {
			if err := h.c.StartScanning(ctx); err != nil {
				return err
			}
			return h.c.StopScanning(ctx)
		}, []string{`[{"StartScanning":{"Id":*}}]`, `[{"StopScanning":{"Id":*}}]`}},
	}
	runDeviceCases(t, h, cases)
}

func TestDeviceCommandsV3(t *testing.T) {
	h := start(t, fakeserver.Config{Version: protocol.Version3, DevicesV3: devicesV3(), Readings: map[protocol.InputType]int32{protocol.InputRssi: -40}})
	vib, stroker := h.device(0), h.device(3)
	cases := []deviceCase{
		{"vibrate all uses ScalarCmd positions", func(ctx context.Context, h *harness) error { return vib.Vibrate(ctx, Fraction(0.5)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},{"Index":2,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`}},
		{"vibrate one in steps", func(ctx context.Context, h *harness) error { return vib.VibrateFeature(ctx, 2, Steps(5)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":0,"Scalars":[{"Index":2,"Scalar":0.25,"ActuatorType":"Vibrate"}]}}]`}},
		{"oscillate", func(ctx context.Context, h *harness) error { return vib.Oscillate(ctx, Fraction(1)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":0,"Scalars":[{"Index":1,"Scalar":1,"ActuatorType":"Oscillate"}]}}]`}},
		{"rotate counter-clockwise", func(ctx context.Context, h *harness) error { return vib.Rotate(ctx, Fraction(0.5), false) },
			[]string{`[{"RotateCmd":{"Id":*,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":false}]}}]`}},
		{"rotate clockwise in steps", func(ctx context.Context, h *harness) error { return vib.RotateFeature(ctx, 3, Steps(6), true) },
			[]string{`[{"RotateCmd":{"Id":*,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.25,"Clockwise":true}]}}]`}},
		{"run groups by message", func(ctx context.Context, h *harness) error {
			return vib.Run(ctx,
				Command{Feature: 2, Type: protocol.OutputVibrate, Value: Fraction(0.1)},
				Command{Feature: 3, Type: protocol.OutputRotate, Value: Fraction(-0.2)},
				Command{Feature: 1, Type: protocol.OutputOscillate, Value: Steps(1)})
		}, []string{
			`[{"ScalarCmd":{"Id":*,"DeviceIndex":0,"Scalars":[{"Index":2,"Scalar":0.1,"ActuatorType":"Vibrate"},{"Index":1,"Scalar":0.1,"ActuatorType":"Oscillate"}]}}]`,
			`[{"RotateCmd":{"Id":*,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.2,"Clockwise":false}]}}]`,
		}},
		{"position with duration is LinearCmd", func(ctx context.Context, h *harness) error {
			return stroker.PositionWithDuration(ctx, Fraction(0.3), 500*time.Millisecond)
		}, []string{`[{"LinearCmd":{"Id":*,"DeviceIndex":3,"Vectors":[{"Index":0,"Duration":500,"Position":0.3}]}}]`}},
		{"position is a Position scalar", func(ctx context.Context, h *harness) error { return stroker.Position(ctx, Steps(25)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":3,"Scalars":[{"Index":0,"Scalar":0.25,"ActuatorType":"Position"}]}}]`}},
		{"constrict", func(ctx context.Context, h *harness) error { return stroker.Constrict(ctx, Steps(5)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":3,"Scalars":[{"Index":1,"Scalar":1,"ActuatorType":"Constrict"}]}}]`}},
		{"inflate", func(ctx context.Context, h *harness) error { return stroker.Inflate(ctx, Fraction(0.5)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":3,"Scalars":[{"Index":2,"Scalar":0.5,"ActuatorType":"Inflate"}]}}]`}},
		{"zero is off", func(ctx context.Context, h *harness) error { return stroker.Inflate(ctx, Fraction(1e-9)) },
			[]string{`[{"ScalarCmd":{"Id":*,"DeviceIndex":3,"Scalars":[{"Index":2,"Scalar":0,"ActuatorType":"Inflate"}]}}]`}},
		{"battery", func(ctx context.Context, h *harness) error { return wantInt(vib.Battery(ctx))(50) },
			[]string{`[{"SensorReadCmd":{"Id":*,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]`}},
		{"rssi uses the SensorReadCmd position", func(ctx context.Context, h *harness) error { return wantInt(stroker.RSSI(ctx))(-40) },
			[]string{`[{"SensorReadCmd":{"Id":*,"DeviceIndex":3,"SensorIndex":1,"SensorType":"RSSI"}}]`}},
		{"stop device", func(ctx context.Context, h *harness) error { return vib.Stop(ctx) },
			[]string{`[{"StopDeviceCmd":{"Id":*,"DeviceIndex":0}}]`}},
		{"stop all", func(ctx context.Context, h *harness) error { return h.c.StopAllDevices(ctx) },
			[]string{`[{"StopAllDevices":{"Id":*}}]`}},
	}
	runDeviceCases(t, h, cases)
}

func wantInt(got int32, err error) func(want int32) error {
	return func(want int32) error {
		if err != nil {
			return err
		}
		if got != want {
			return errors.New("wrong reading " + Steps(got).String())
		}
		return nil
	}
}

func first(v []int32) int32 {
	if len(v) == 0 {
		return -1 << 31
	}
	return v[0]
}

// Nothing may be sent for a command the device cannot take.
func TestDeviceRejectsBeforeSending(t *testing.T) {
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		t.Run(v.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: v, DevicesV4: devicesV4(), DevicesV3: devicesV3()})
			vib := h.device(0)
			tests := []struct {
				name string
				run  func(ctx context.Context) error
				want error
			}{
				{"fraction above 1", func(ctx context.Context) error { return vib.Vibrate(ctx, Fraction(1.5)) }, ErrOutOfRange},
				{"negative fraction on unsigned output", func(ctx context.Context) error { return vib.Vibrate(ctx, Fraction(-0.1)) }, ErrOutOfRange},
				{"NaN", func(ctx context.Context) error { return vib.Vibrate(ctx, Fraction(nanValue())) }, ErrOutOfRange},
				{"steps above range", func(ctx context.Context) error { return vib.Vibrate(ctx, Steps(21)) }, ErrOutOfRange},
				{"negative rotation speed", func(ctx context.Context) error { return vib.Rotate(ctx, Fraction(-0.5), true) }, ErrOutOfRange},
				{"no such feature", func(ctx context.Context) error { return vib.VibrateFeature(ctx, 42, Fraction(0.5)) }, ErrUnsupported},
				{"feature without that output", func(ctx context.Context) error { return vib.VibrateFeature(ctx, 1, Fraction(0.5)) }, ErrUnsupported},
				{"no positioner", func(ctx context.Context) error { return vib.Position(ctx, Fraction(0.5)) }, ErrUnsupported},
				{"no constrictor", func(ctx context.Context) error { return vib.Constrict(ctx, Fraction(0.5)) }, ErrUnsupported},
				{"no inflater", func(ctx context.Context) error { return vib.Inflate(ctx, Fraction(0.5)) }, ErrUnsupported},
				{"no linear", func(ctx context.Context) error { return vib.PositionWithDuration(ctx, Fraction(0.5), time.Second) }, ErrUnsupported},
				{"no rssi", func(ctx context.Context) error { _, err := vib.RSSI(ctx); return err }, ErrUnsupported},
				{"input without subscribe", func(ctx context.Context) error {
					battery := map[protocol.Version]uint32{protocol.Version4: 2, protocol.Version3: 4}[v]
					_, err := vib.SubscribeInput(ctx, battery, protocol.InputBattery, 1)
					return err
				}, ErrUnsupported},
				{"temperature", func(ctx context.Context) error { return vib.Output(ctx, 0, protocol.OutputTemperature, Fraction(0.5)) }, ErrUnsupported},
				{"same output twice", func(ctx context.Context) error {
					c := Command{Feature: 0, Type: protocol.OutputVibrate, Value: Fraction(0.5)}
					return vib.Run(ctx, c, c)
				}, nil},
				{"negative duration", func(ctx context.Context) error {
					if v == protocol.Version4 {
						return h.device(1).PositionWithDuration(ctx, Fraction(0.5), 20*time.Second)
					}
					return h.device(3).PositionWithDuration(ctx, Fraction(0.5), -time.Second)
				}, ErrOutOfRange},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.run(h.ctx)
					if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
						t.Fatalf("error = %v, want %v", err, tt.want)
					}
				})
			}
			// A round trip proves nothing else was sent.
			h.t = t
			if err := h.c.StopScanning(h.ctx); err != nil {
				t.Fatal(err)
			}
			h.expect(`[{"StopScanning":{"Id":*}}]`)
			h.expectNothingSent()
		})
	}
}

func TestCounterClockwiseNeedsSignedRotator(t *testing.T) {
	dev := protocol.DeviceInfo{DeviceIndex: 0, DeviceName: "One Way", DeviceFeatures: map[uint32]protocol.Feature{
		0: {FeatureIndex: 0, Output: out(protocol.OutputRotate, 0, 20)},
	}}
	h := start(t, fakeserver.Config{DevicesV4: []protocol.DeviceInfo{dev}})
	d := h.device(0)
	if err := d.Rotate(h.ctx, Fraction(0.5), false); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Rotate counter-clockwise = %v, want ErrUnsupported", err)
	}
	if err := d.Rotate(h.ctx, Fraction(0.5), true); err != nil {
		t.Fatal(err)
	}
	h.expect(`[{"OutputCmd":{"Id":*,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Rotate":{"Value":10}}}}]`)
}

func TestDeviceErrorReply(t *testing.T) {
	for _, v := range []protocol.Version{protocol.Version4, protocol.Version3} {
		t.Run(v.String(), func(t *testing.T) {
			h := start(t, fakeserver.Config{Version: v, DevicesV4: devicesV4(), DevicesV3: devicesV3()})
			h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
				switch m.(type) {
				case *protocol.InputCmd, *protocol.SensorReadCmd:
					return []protocol.Message{protocol.NewError(m.MessageID(), protocol.ErrorDevice, "Command not implemented for this protocol")}, true
				}
				return nil, false
			})
			_, err := h.device(0).Battery(h.ctx)
			var perr *protocol.Error
			if !errors.As(err, &perr) || perr.ErrorCode != protocol.ErrorDevice {
				t.Fatalf("Battery = %v, want a *protocol.Error with ERROR_DEVICE", err)
			}
			if !errors.Is(err, &protocol.Error{ErrorCode: protocol.ErrorDevice}) {
				t.Errorf("errors.Is by code failed for %v", err)
			}
			// The session is still fine.
			if err := h.device(0).Vibrate(h.ctx, Fraction(0.5)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUnexpectedReplyType(t *testing.T) {
	h := start(t, fakeserver.Config{DevicesV4: devicesV4()})
	h.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		switch msg := m.(type) {
		case *protocol.OutputCmd:
			return []protocol.Message{&protocol.Ping{ID: m.MessageID()}}, true
		case *protocol.InputCmd:
			// A reading for another feature.
			return []protocol.Message{&protocol.InputReading{ID: m.MessageID(), DeviceIndex: msg.DeviceIndex, FeatureIndex: 9, Reading: protocol.InputValue{Type: protocol.InputBattery, Value: 1}}}, true
		}
		return nil, false
	})
	if err := h.device(0).Vibrate(h.ctx, Fraction(0.5)); !errors.Is(err, ErrUnexpectedReply) {
		t.Errorf("Vibrate answered with Ping = %v, want ErrUnexpectedReply", err)
	}
	if _, err := h.device(0).Battery(h.ctx); !errors.Is(err, ErrUnexpectedReply) {
		t.Errorf("Battery answered for another feature = %v, want ErrUnexpectedReply", err)
	}

	h3 := start(t, fakeserver.Config{Version: protocol.Version3, DevicesV3: devicesV3()})
	h3.sess.SetHandler(func(s *fakeserver.Session, m protocol.Message) ([]protocol.Message, bool) {
		if msg, ok := m.(*protocol.SensorReadCmd); ok { // the RSSI sensor's reading instead
			return []protocol.Message{&protocol.SensorReading{ID: m.MessageID(), DeviceIndex: msg.DeviceIndex, SensorIndex: 1, SensorType: protocol.SensorRSSI, Data: []int32{-1}}}, true
		}
		return nil, false
	})
	if _, err := h3.device(3).Battery(h3.ctx); !errors.Is(err, ErrUnexpectedReply) {
		t.Errorf("Battery answered with an RSSI reading = %v, want ErrUnexpectedReply", err)
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}
