package protocol

import (
	"fmt"
	"testing"
	"time"
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

// decodeCases are the frames the side-by-side benchmarks decode.
func decodeCases() []struct {
	name  string
	frame []byte
	d     Decoder
} {
	outputCmd, _ := Encode(benchOutputCmd)
	list, _ := Encode(deviceList20())
	return []struct {
		name  string
		frame []byte
		d     Decoder
	}{
		{"OutputCmd", outputCmd, Decoder{Version: Version4}},
		{"DeviceList20", list, Decoder{Version: Version4, Lenient: true}},
	}
}

// BenchmarkTreeDecode runs the tree decoder the streaming one replaced
// (treedecoder_test.go, Go map order as before), for its allocations.
func BenchmarkTreeDecode(b *testing.B) {
	for _, c := range decodeCases() {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := treeDecode(&c.d, c.frame, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeVsTree decodes each frame with the tree decoder and the
// streaming decoder in turn, in one run, and reports both times and the
// speedup (tree time / streaming time). The clock reads around each call
// add the same few tens of nanoseconds to both sides, which if anything
// understates the speedup.
func BenchmarkDecodeVsTree(b *testing.B) {
	for _, c := range decodeCases() {
		b.Run(c.name, func(b *testing.B) {
			var tree, stream time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := treeDecode(&c.d, c.frame, false); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := c.d.Decode(c.frame); err != nil {
					b.Fatal(err)
				}
				stream += time.Since(t1)
				tree += t1.Sub(t0)
			}
			b.ReportMetric(float64(tree.Nanoseconds())/float64(b.N), "tree-ns/op")
			b.ReportMetric(float64(stream.Nanoseconds())/float64(b.N), "stream-ns/op")
			b.ReportMetric(float64(tree)/float64(stream), "speedup")
		})
	}
}
