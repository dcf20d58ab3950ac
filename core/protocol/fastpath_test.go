package protocol

import (
	"reflect"
	"testing"
)

func TestFastFrame(t *testing.T) {
	tests := []struct {
		frame string
		ok    bool
	}{
		{`[{"Ok":{"Id":1}}]`, true},
		{`[{"Ok":{"Id":4294967295}}]`, true},
		{`[{"Ok":{"Id":0}}]`, true}, // read, then refused by validation as the library path does
		{`[{"Ok":{"Id":4294967296}}]`, false},
		{`[{"Ok":{"Id":01}}]`, false},
		{`[{"Ok":{"Id":-1}}]`, false},
		{`[{"Ok":{"Id":}}]`, false},
		{`[{"Ok":{"Id":1,"X":2}}]`, false},
		{`[{"Ok": {"Id":1}}]`, false},
		{`[{"Ok":{"Id":1}},{"Ok":{"Id":2}}]`, false},
		{`[{"Ok":{"Id":12345678901}}]`, false},
		{`[{"Ok":{"Id":1}}] `, false},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]`, true},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Rotate":{"Value":-10}}}}]`, true},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":150}}}}]`, true},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":-1,"Duration":150}}}}]`, false},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91}}}}]`, false},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10,"Duration":1}}}}]`, false},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Tickle":{"Value":10}}}}]`, false},
		{`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":2147483648}}}}]`, false},
		{`[{"OutputCmd":{"Id":2,"FeatureIndex":0,"DeviceIndex":1,"Command":{"Vibrate":{"Value":10}}}}]`, false},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`, true},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1,"ActuatorType":"Vibrate"},{"Index":1,"Scalar":0.25,"ActuatorType":"Rotate"}]}}]`, true},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.5,"ActuatorType":"Vibrate"}]}}]`, true}, // refused by validation on both paths
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[]}}]`, false},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1e-7,"ActuatorType":"Vibrate"}]}}]`, false},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.,"ActuatorType":"Vibrate"}]}}]`, false},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Tickle"}]}}]`, false},
		{`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},]}}]`, false},
	}
	for _, tt := range tests {
		_, ok := fastFrame([]byte(tt.frame))
		if ok != tt.ok {
			t.Errorf("fastFrame(%s) = %v, want %v", tt.frame, ok, tt.ok)
		}
		checkFastPath(t, []byte(tt.frame))
	}
}

// FuzzFastPath: where the fast path reads a frame, the library path reads
// it to the same envelope and, in every version and mode, the same message
// or the same error.
func FuzzFastPath(f *testing.F) {
	addSeeds(f)
	for _, s := range []string{
		`[{"Ok":{"Id":1}}]`, `[{"Ok":{"Id":0}}]`,
		`[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":150}}}}]`,
		`[{"OutputCmd":{"Id":0,"DeviceIndex":1,"FeatureIndex":0,"Command":{"Vibrate":{"Value":-5}}}}]`,
		`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},{"Index":1,"Scalar":10,"ActuatorType":"Unknown"}]}}]`,
	} {
		f.Add([]byte(s), byte(4))
	}
	f.Fuzz(func(t *testing.T, frame []byte, _ byte) { checkFastPath(t, frame) })
}

func checkFastPath(t *testing.T, frame []byte) {
	t.Helper()
	fast, ok := fastFrame(frame)
	if !ok {
		return
	}
	lib, err := splitLibrary(frame, nil)
	if err != nil || len(lib) != 1 {
		t.Fatalf("fast path read %s, library path: %v", frame, err)
	}
	slow := lib[0]
	if fast.Name != slow.Name || fast.ID != slow.ID || fast.HasID != slow.HasID || fast.Index != slow.Index {
		t.Fatalf("%s: fast envelope %+v, library %+v", frame, fast, slow)
	}
	for v := range CurrentVersion + 1 {
		for _, lenient := range []bool{false, true} {
			d := Decoder{Version: v, Lenient: lenient}
			fm, ferr := d.DecodeEnvelope(&fast)
			sm, serr := d.DecodeEnvelope(&slow)
			if !reflect.DeepEqual(fm, sm) || !reflect.DeepEqual(ferr, serr) {
				t.Fatalf("%s (%s lenient=%v): fast %#v %v, library %#v %v", frame, v, lenient, fm, ferr, sm, serr)
			}
		}
	}
}
