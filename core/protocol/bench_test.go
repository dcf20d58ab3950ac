package protocol

import (
	"fmt"
	"testing"
)

var benchOutputCmd = &OutputCmd{ID: 42, DeviceIndex: 1, FeatureIndex: 0, Command: OutputCommand{Type: OutputVibrate, Value: 10}}

// deviceList20 is a spec v4 DeviceList of 20 devices with 3 features each.
func deviceList20() *DeviceList {
	dl := &DeviceList{ID: 3, Devices: map[uint32]DeviceInfo{}}
	for i := range uint32(20) {
		dl.Devices[i] = DeviceInfo{
			DeviceName: fmt.Sprintf("Lovense Device %d", i), DeviceIndex: i, DeviceMessageTimingGap: 100,
			DeviceFeatures: map[uint32]Feature{
				0: {FeatureIndex: 0, FeatureDescription: "Vibrator", Output: map[OutputType]OutputSpec{OutputVibrate: {Value: Range{0, 20}}}},
				1: {FeatureIndex: 1, FeatureDescription: "Rotator", Output: map[OutputType]OutputSpec{OutputRotate: {Value: Range{-20, 20}}}},
				2: {FeatureIndex: 2, FeatureDescription: "Battery Level", Input: map[InputType]InputSpec{
					InputBattery: {Value: RangeList{{0, 100}}, Command: []InputCommandType{InputCommandRead}}}},
			},
		}
	}
	return dl
}

func BenchmarkEncodeOutputCmd(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], benchOutputCmd); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOutputCmd(b *testing.B) {
	frame, _ := Encode(benchOutputCmd)
	d := Decoder{Version: Version4}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeDeviceList20(b *testing.B) {
	dl := deviceList20()
	buf := make([]byte, 0, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], dl); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeDeviceList20(b *testing.B) {
	frame, _ := Encode(deviceList20())
	d := Decoder{Version: Version4, Lenient: true}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOk decodes the commonest reply a client reads.
func BenchmarkDecodeOk(b *testing.B) {
	frame := []byte(`[{"Ok":{"Id":7}}]`)
	d := Decoder{Version: Version4, Lenient: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}
