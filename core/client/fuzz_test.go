package client

import (
	"context"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// FuzzHandleFrame feeds arbitrary server frames to a session: it must never
// panic, whatever the frame and the negotiated version.
func FuzzHandleFrame(f *testing.F) {
	seeds := []string{
		`[{"Ok":{"Id":1}}]`,
		`[{"Error":{"Id":0,"ErrorMessage":"x","ErrorCode":2}}]`,
		`[{"ScanningFinished":{"Id":0}}]`,
		`[{"ServerInfo":{"Id":1,"ServerName":"s","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0}}]`,
		`[{"ServerInfo":{"Id":1,"MessageVersion":3,"MaxPingTime":0,"ServerName":"Buttplug Server"}}]`,
		`[{"DeviceList":{"Id":0,"Devices":{"0":{"DeviceIndex":0,"DeviceName":"N","DeviceMessageTimingGap":100,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"Vibrate":{"Value":[0,20]},"HwPositionWithDuration":{"Value":[0,100],"Duration":[0,500]}}},"1":{"FeatureIndex":1,"FeatureDescription":"b","Input":{"Battery":{"Value":[[0,100]],"Command":["Read","Subscribe"]}}}}}}}}]`,
		`[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":1,"Reading":{"Battery":{"Value":50}}}}]`,
		`[{"DeviceAdded":{"Id":0,"DeviceIndex":0,"DeviceName":"MagicMotion Smart Mini Vibe","DeviceMessages":{"ScalarCmd":[{"FeatureDescriptor":"N/A","ActuatorType":"Vibrate","StepCount":100}],"SensorReadCmd":[{"FeatureDescriptor":"Battery Level","SensorType":"Battery","SensorRange":[[0,100]]}],"SensorSubscribeCmd":[{"FeatureDescriptor":"Battery Level","SensorType":"Battery","SensorRange":[[0,100]]}],"StopDeviceCmd":{}}}}]`,
		`[{"DeviceList":{"Id":2,"Devices":[{"DeviceIndex":1,"DeviceName":"Lovense Hush","DeviceMessages":{"ScalarCmd":[{"FeatureDescriptor":"N/A","ActuatorType":"Vibrate","StepCount":20}],"RotateCmd":[{"StepCount":20}],"LinearCmd":[{"StepCount":99}]}}]}}]`,
		`[{"SensorReading":{"Id":0,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery","Data":[85]}}]`,
		`[{"DeviceRemoved":{"Id":0,"DeviceIndex":0}}]`,
		`[{"Bogus":{}}][`,
		`[]`,
	}
	for _, s := range seeds {
		f.Add(uint8(4), []byte(s))
		f.Add(uint8(3), []byte(s))
	}
	c := New("fuzz")
	a, b := connector.Pipe(0)
	s := newSession(c, a)
	f.Cleanup(func() {
		b.Close()
		_ = s.close(context.Background(), connector.ErrClosed)
	})
	f.Fuzz(func(t *testing.T, version uint8, frame []byte) {
		v := protocol.Version3
		if version%2 == 0 {
			v = protocol.Version4
		}
		s.version.Store(uint32(v))
		s.handleFrame(frame)
	})
}
