package protocol

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The streaming decoder must give what the tree decoder it replaced gives:
// the same messages, or the same *DecodeError to the letter (sentinel,
// field path, detail, message, Id, index). The tree decoder visits object
// keys in document order of their last occurrence here (see
// treedecoder_test.go); for a message with at most one problem every order
// gives the same error.

func sameDecodeErr(got, want error) string {
	if got == nil && want == nil {
		return ""
	}
	var g, w *DecodeError
	if !errors.As(got, &g) || !errors.As(want, &w) {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	if *g != *w {
		return fmt.Sprintf("got  %#v\nwant %#v", *g, *w)
	}
	return ""
}

// checkSameDecode compares every entry point on one frame.
func checkSameDecode(t *testing.T, frame []byte, v Version, lenient bool, maxSize int) {
	t.Helper()
	d := Decoder{Version: v, Lenient: lenient, limit: maxSize}
	got, gerr := d.Decode(frame)
	want, werr := treeDecode(&d, frame, true)
	if msg := sameDecodeErr(gerr, werr); msg != "" {
		t.Fatalf("Decode %q (%s lenient=%v):\n%s", frame, v, lenient, msg)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode %q (%s lenient=%v):\n got %#v\nwant %#v", frame, v, lenient, got, want)
	}
	for _, m := range got {
		// The decoder skips checks that cannot fail on what it made; check
		// that they indeed pass.
		if fe := validate(ptrValue(m), anyValues); fe != nil {
			t.Fatalf("decoded %#v fails validation: %s: %v", m, fe.path(), fe.err)
		}
	}

	envs, gerr := splitFrameLimit(frame, maxSize)
	tenvs, werr := treeSplitFrame(frame, maxSize, true)
	if msg := sameDecodeErr(gerr, werr); msg != "" {
		t.Fatalf("SplitFrame %q:\n%s", frame, msg)
	}
	if len(envs) != len(tenvs) {
		t.Fatalf("SplitFrame %q: %d envelopes, want %d", frame, len(envs), len(tenvs))
	}
	for i := range envs {
		e, te := &envs[i], &tenvs[i]
		if e.Index != te.Index || e.Name != te.Name || e.ID != te.ID || e.HasID != te.HasID {
			t.Fatalf("SplitFrame %q envelope %d: got %+v, want %+v", frame, i, e, te)
		}
		m, gerr := d.DecodeEnvelope(e)
		tm, werr := treeDecodeEnvelope(&d, te)
		if msg := sameDecodeErr(gerr, werr); msg != "" {
			t.Fatalf("DecodeEnvelope %q envelope %d:\n%s", frame, i, msg)
		}
		if !reflect.DeepEqual(m, tm) {
			t.Fatalf("DecodeEnvelope %q envelope %d:\n got %#v\nwant %#v", frame, i, m, tm)
		}
		gv, gerr := DetectVersion(e)
		wv, werr := treeDetectVersion(te)
		if msg := sameDecodeErr(gerr, werr); msg != "" || gv != wv {
			t.Fatalf("DetectVersion %q envelope %d: got %s, want %s\n%s", frame, i, gv, wv, msg)
		}
	}
}

// differentialFrames are frames with several problems, repeated keys,
// aliases and escapes, where the order of the checks shows.
var differentialFrames = []string{
	`[{"Ping":{"Id":1,"Id":2}}]`,
	`[{"Ping":{"Id":"x","Id":2}}]`,
	`[{"Ping":{"Id":2,"Id":"x"}}]`,
	`[{"Ping":{"Id":1},"Ping":{"Id":2}}]`,
	`[{"Ping":{"Id":1},"Ok":{"Id":2},"Ping":{"Id":3}}]`,
	`[{"Ping":{"Id":1},"Ping":{"Id":"x"}}]`,
	`[{"P\u0069ng":{"I\u0064":7}}]`,
	`[{"Ping":{"Id":1,"Zed":1,"Abe":2,"Zed":3}}]`,
	`[{"StopDeviceCmd":{"DeviceIndex":"x","Id":"y"}}]`,
	`[{"StopDeviceCmd":{"Id":"y","DeviceIndex":"x"}}]`,
	`[{"StopDeviceCmd":{"Id":0,"DeviceIndex":"x","Bogus":1}}]`,
	`[{"RawReadCmd":{"Id":8,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":4,"Length":4,"WaitForData":false}}]`,
	`[{"RawReadCmd":{"Id":8,"DeviceIndex":0,"Endpoint":"rx","Length":"x","ExpectedLength":4,"WaitForData":false}}]`,
	`[{"RawReadCmd":{"Id":8,"DeviceIndex":0,"Endpoint":"rx","Length":1,"ExpectedLength":"x","Length":2,"WaitForData":false}}]`,
	`[{"RawReadCmd":{"Id":8,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":1,"Length":"x","ExpectedLength":2,"WaitForData":false}}]`,
	`[{"RawReadCmd":{"Id":8,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":4,"ExpectedLength":5,"WaitForData":false}}]`,
	`[{"DeviceList":{"Id":0,"Devices":{"1":{},"01":{}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"zero":{},"0":{"DeviceName":5}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"b":{},"a":{}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"1":{"DeviceName":"A","DeviceIndex":1,"DeviceMessageTimingGap":0,"DeviceFeatures":{}},"01":{"DeviceName":"B","DeviceIndex":1,"DeviceMessageTimingGap":0,"DeviceFeatures":{}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"01":{"DeviceName":"B","DeviceIndex":1,"DeviceMessageTimingGap":0,"DeviceFeatures":{}},"1":{"DeviceName":"A","DeviceIndex":1,"DeviceMessageTimingGap":0,"DeviceFeatures":{}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescriptor":"a","FeatureDescription":"b","Input":{"Rssi":{"Value":[[-1,0]],"Command":["Read"]},"RSSI":{"Value":[0,1],"Command":["Subscribe","Poke"]}}}}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"Tickle":{"Value":[0,1]},"Vibrate":{"Value":[0,1,2]}}}}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Input":{"Battery":{"Value":[[0,1],5],"Command":[]}}}}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"Vibrate":{"Value":[0,"x","y"]}}}}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"HwPositionWithDuration":{"Value":[0,1],"Duration":[0]}}}}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Input":{},"Output":{}}}}}}}]`,
	`[{"DeviceList":{"Id":1,"Devices":[{"DeviceName":"X","DeviceIndex":0,"DeviceMessages":{"VibrateCmd":{"FeatureCount":0},"Bogus":{},"StopDeviceCmd":{"FeatureCount":2}}}]}}]`,
	`[{"DeviceList":{"Id":1,"Devices":[{"DeviceName":"X","DeviceIndex":0,"DeviceMessages":{"VibrateCmd":{"FeatureCount":1,"StepCount":[0,2]},"RawReadCmd":{"Endpoints":[]},"LinearCmd":{"StepCount":[]}}}]}}]`,
	`[{"DeviceList":{"Id":1,"Devices":[{"DeviceName":"X","DeviceIndex":0,"DeviceMessages":["StopDeviceCmd","Teleport","KiirooCmd",5]}]}}]`,
	`[{"DeviceList":{"Id":1,"Devices":[{"DeviceName":"X","DeviceIndex":0,"DeviceMessages":{"ScalarCmd":[{"StepCount":0},{"ActuatorType":"Tickle"}],"RawReadCmd":{}}}]}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1},"Vibrate":{"Value":2}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1},"Rotate":{"Value":2},"Vibrate":{"Value":3}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":"x","Bogus":1}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Bogus":1,"Value":"x"}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":"x","Value":4}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Duration":-1,"Value":-2}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":2147483648,"Duration":1}}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Tickle":[]}}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{}}}]`,
	`[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":0,"Reading":{"RSSI":{"Value":-40}}}}]`,
	`[{"InputReading":{"Id":0,"DeviceIndex":0,"FeatureIndex":0,"Reading":{"Smell":{"Value":-40}}}}]`,
	`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1e400,"ActuatorType":"Vibrate"}]}}]`,
	`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":-0,"ActuatorType":"Vibrate"},{"Index":1e0,"Scalar":1e-400,"ActuatorType":"Vibrate"}]}}]`,
	`[{"VibrateCmd":{"Id":1,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1.5},{"Index":1,"Speed":-1}]}}]`,
	`[{"SensorReading":{"Id":0,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Rssi","Data":[-2147483648,2147483647]}}]`,
	`[{"SensorReading":{"Id":0,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Rssi","Data":[-2147483649]}}]`,
	`[{"RawWriteCmd":{"Id":1,"DeviceIndex":0,"Endpoint":"tx","Data":[0,255,256],"WriteWithResponse":true}}]`,
	`[{"RawWriteCmd":{"Id":1,"DeviceIndex":0,"Endpoint":"\ud800\udc00\ud800x\udc00\u00e9\\","Data":[],"WriteWithResponse":true}}]`,
	"[{\"Test\":{\"Id\":1,\"TestString\":\"\xff\xfe\xed\xa0\x80 ok \xe2\x82\"}}]",
	`[{"StopCmd":{"Id":1,"DeviceIndex":null}}]`,
	`[{"StopCmd":{"Id":1,"Inputs":true,"Outputs":false,"FeatureIndex":4294967295}}]`,
	`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":2,"MessageVersion":4}}]`,
	`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":true,"ProtocolVersionMajor":4}}]`,
	`[{"RequestServerInfo":{"Id":1,"ClientName":"A","ProtocolVersionMajor":4.0}}]`,
	`[{"RequestServerInfo":[]}]`,
	`[{"Ping":{"Id":1}},5,{"Ping":{}}]`,
	`[{"Ping":{"Id":1}},{"Ping":{"Id":1},"Ok":{}}]`,
	`[{"Ping":{"Id":1}},{"Nope":{"Id":4}}]`,
	`[{"":{"":1}}]`,
	`[{"Ping":{"Id":1,"":2}}]`,
	`[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"":{"Value":1}}}}]`,
	`  [ { "Ping" : { "Id" : 1 } } ]  `,
	`[{"Ping":{"Id":1}}] [`,
	`[{"Ping":{"Id":01}}]`,
	`123abc`, `true x`, `nul`, `"\x"`, `[1,]`, `{"a":1,}`, `[-]`, `[1.]`, `[1e]`, `[1e+]`, "[\"\t\"]",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`[{"Ping":` + strings.Repeat(`{"a":`, 9998) + `1` + strings.Repeat(`}`, 9999) + `]`,
}

func TestDecodeDifferential(t *testing.T) {
	var frames [][]byte
	for _, s := range samples() {
		frame, err := Encode(s.msg)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame)
	}
	for _, s := range append(fuzzSeeds, differentialFrames...) {
		frames = append(frames, []byte(s))
	}
	for _, frame := range frames {
		for v := range CurrentVersion + 1 {
			for _, lenient := range []bool{false, true} {
				checkSameDecode(t, frame, v, lenient, 0)
				checkSameDecode(t, frame, v, lenient, 64)
			}
		}
	}
}

// FuzzDecodeDifferential: on any input the streaming decoder and the tree
// decoder agree, through Decode, SplitFrame, DecodeEnvelope and
// DetectVersion.
func FuzzDecodeDifferential(f *testing.F) {
	addSeeds(f)
	for _, s := range differentialFrames {
		if len(s) < 1<<12 {
			f.Add([]byte(s), byte(len(s)))
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte, version byte) {
		v := Version(version % byte(CurrentVersion+1))
		for _, lenient := range []bool{false, true} {
			checkSameDecode(t, frame, v, lenient, 1<<16)
		}
	})
}

// FuzzValidateDifferential: messages decoded from the input and then
// damaged (ids, bounds, enumerations, lists, map keys) get the same
// validation verdict from validate and the old one.
func FuzzValidateDifferential(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, frame []byte, version byte) {
		d := Decoder{Version: Version(version % byte(CurrentVersion+1)), Lenient: true}
		msgs, err := d.Decode(frame)
		if err != nil {
			return
		}
		src := frame
		for _, m := range msgs {
			mutate(ptrValue(m), &src)
			got := checkSameValidate(t, m)
			if got != nil {
				if _, err := Encode(m); err == nil {
					t.Fatalf("Encode accepted %#v", m)
				}
			}
		}
	})
}

// checkSameValidate requires validate and the old validate to agree on m
// and returns the verdict.
func checkSameValidate(t *testing.T, m Message) *fieldErr {
	t.Helper()
	got := validate(ptrValue(m), anyValues)
	want := treeValidate(ptrValue(m), "", true)
	if (got == nil) != (want == nil) || got != nil && (got.path() != want.path || got.err != want.err || got.detail != want.detail) {
		t.Fatalf("validate %#v:\n got %+v\nwant %+v", m, got, want)
	}
	return got
}

// mutate damages v's fields, driven by the bytes of *src.
func mutate(v reflect.Value, src *[]byte) {
	next := func() byte {
		if len(*src) == 0 {
			return 0
		}
		b := (*src)[0]
		*src = (*src)[1:]
		return b
	}
	switch v.Kind() {
	case reflect.Pointer:
		switch next() % 4 {
		case 0:
			v.SetZero()
		case 1:
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
		}
		if !v.IsNil() {
			mutate(v.Elem(), src)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				mutate(v.Field(i), src)
			}
		}
	case reflect.Slice:
		switch next() % 5 {
		case 0:
			v.SetZero()
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case 2:
			v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		}
		for i := 0; i < v.Len(); i++ {
			mutate(v.Index(i), src)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			mutate(v.Index(i), src)
		}
	case reflect.Map:
		if v.IsNil() {
			if next()%3 != 0 {
				return
			}
			v.Set(reflect.MakeMap(v.Type()))
		}
		k := reflect.New(v.Type().Key()).Elem()
		if b := next(); b%3 == 0 {
			mutate(k, src)
			v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutate(e, src)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if !v.Type().Implements(enumType) {
			return
		}
		if b := next(); b%3 == 0 {
			v.SetString([]string{"", "Bogus", "RSSI", "Rssi", "Vibrate", "Read", "StopDeviceCmd"}[int(b/3)%7])
		}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if b := next(); b%3 == 0 {
			v.SetUint([]uint64{0, 1, 99, 100, 5, math.MaxUint32}[int(b/3)%6] & (1<<v.Type().Bits() - 1))
		}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if b := next(); b%3 == 0 {
			v.SetInt([]int64{-1, 0, 1, math.MinInt32, math.MaxInt32}[int(b/3)%5])
		}
	case reflect.Float64:
		if b := next(); b%3 == 0 {
			v.SetFloat([]float64{-0.5, 0, 1, 1.5, math.NaN(), math.Inf(1)}[int(b/3)%6])
		}
	}
}

// TestValidateDifferential damages every sample in many ways and requires
// validate and the old validate to agree; it also checks that the damage
// reaches each kind of rule, so the comparison is not vacuous.
func TestValidateDifferential(t *testing.T) {
	kinds := map[error]int{}
	for _, s := range samples() {
		frame, err := Encode(s.msg)
		if err != nil {
			t.Fatal(err)
		}
		for seed := range 300 {
			msgs, err := (&Decoder{Version: s.versions[0]}).Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			src := make([]byte, 256)
			x := uint32(seed*2654435761 + 1)
			for i := range src {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				src[i] = byte(x)
			}
			m := msgs[0]
			mutate(ptrValue(m), &src)
			got := checkSameValidate(t, m)
			if got != nil {
				kinds[got.err]++
			}
		}
	}
	for _, e := range []error{ErrInvalidID, ErrOutOfRange, ErrInvalidEnum, ErrUnknownField} {
		if kinds[e] == 0 {
			t.Errorf("no damaged sample failed with %v: %v", e, kinds)
		}
	}
	t.Logf("failures by kind: %v", kinds)
}

// TestEnumTablesCanonical checks what decodedValues relies on: a canonical
// spelling maps to itself, so an enumeration the decoder stored always
// passes validation, and the empty string is never accepted.
func TestEnumTablesCanonical(t *testing.T) {
	for _, e := range []enum{OutputType(""), InputType(""), InputCommandType(""), ActuatorType(""), SensorType(""), LogLevel(""), MessageNameV0("")} {
		names := e.names()
		if _, ok := names[""]; ok {
			t.Errorf("%T accepts the empty string", e)
		}
		for s, c := range names {
			if cc, ok := e.canonical(c); !ok || cc != c {
				t.Errorf("%T: %q -> %q -> %q", e, s, c, cc)
			}
		}
	}
}
