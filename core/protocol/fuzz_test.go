package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzSeeds are malformed frames added to the corpus beside every sample.
var fuzzSeeds = []string{
	``, `[]`, `{}`, `[{}]`, `[null]`, `[{"Ping":null}]`, `[{"Ping":{"Id":1}}]x`,
	`[{"Ping":{"Id":1.0}}]`, `[{"Ping":{"Id":-1}}]`, `[{"Ping":{"Id":99999999999999999999}}]`,
	`[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1e400,"ActuatorType":"Vibrate"}]}}]`,
	`[{"OutputCmd":{"Id":1,"DeviceIndex":0,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":3000000000,"Duration":1}}}}]`,
	`[{"DeviceList":{"Id":0,"Devices":{"1":{},"01":{}}}}]`,
	`[{"RequestServerInfo":{"Id":1,"ClientName":"A","ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MessageVersion":3}}]`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	"[{\"Ping\":{\"Id\":1}}]\n\t ",
}

func addSeeds(f *testing.F) {
	for _, s := range samples() {
		frame, err := Encode(s.msg)
		if err != nil {
			f.Fatal(err)
		}
		for _, v := range s.versions {
			f.Add(frame, byte(v))
		}
	}
	for _, s := range fuzzSeeds {
		for v := range CurrentVersion + 1 {
			f.Add([]byte(s), byte(v))
		}
	}
}

// FuzzDecode: no input makes the decoder panic, every failure is a
// *DecodeError, and whatever decodes re-encodes to a frame that decodes to
// the same messages.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, frame []byte, version byte) {
		for _, lenient := range []bool{false, true} {
			d := Decoder{Version: Version(version % byte(CurrentVersion+1)), Lenient: lenient, limit: 1 << 16}
			msgs, err := d.Decode(frame)
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error %T is not a *DecodeError: %v", err, err)
				}
				continue
			}
			out, err := Encode(msgs...)
			if err != nil {
				t.Fatalf("decoded %s but cannot encode it: %v", frame, err)
			}
			again, err := d.Decode(out)
			if err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", out, err)
			}
			if !reflect.DeepEqual(msgs, again) {
				t.Fatalf("round trip differs:\n%#v\n%#v", msgs, again)
			}
		}
	})
}

// FuzzSplitFrame: splitting never panics, and a split frame has one envelope
// per array element with the Id as the decoder would read it.
func FuzzSplitFrame(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, frame []byte, _ byte) {
		envs, err := splitFrameLimit(frame, 1<<16)
		if err != nil {
			return
		}
		if len(envs) == 0 {
			t.Fatal("no envelopes and no error")
		}
		// encoding/json must see the same messages.
		var objs []map[string]json.RawMessage
		if err := json.Unmarshal(frame, &objs); err != nil {
			t.Fatalf("SplitFrame accepted what encoding/json rejects: %v", err)
		}
		if len(objs) != len(envs) {
			t.Fatalf("%d envelopes for %d messages", len(envs), len(objs))
		}
		for i, e := range envs {
			if _, ok := objs[i][e.Name]; e.Index != i || !ok || len(objs[i]) != 1 {
				t.Fatalf("envelope %d: %+v vs %s", i, e, objs[i])
			}
		}
	})
}

// FuzzDetectVersion: version detection never panics and agrees with decoding.
func FuzzDetectVersion(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, frame []byte, _ byte) {
		envs, err := splitFrameLimit(frame, 1<<16)
		if err != nil {
			return
		}
		v, err := DetectVersion(&envs[0])
		if err != nil {
			return
		}
		if !v.Valid() {
			t.Fatalf("DetectVersion returned %s without error", v)
		}
		if m, err := (&Decoder{Version: v}).DecodeEnvelope(&envs[0]); err == nil && m.MessageName() != "RequestServerInfo" {
			t.Fatalf("decoded %s as the handshake", m.MessageName())
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz when BPHOST_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("BPHOST_WRITE_CORPUS") != "1" {
		t.Skip("set BPHOST_WRITE_CORPUS=1 to rewrite the seed corpus in testdata/fuzz")
	}
	var seeds [][]byte
	for _, s := range samples() {
		frame, _ := Encode(s.msg)
		seeds = append(seeds, frame)
	}
	for _, s := range fuzzSeeds {
		seeds = append(seeds, []byte(s))
	}
	for _, target := range []string{"FuzzDecode", "FuzzSplitFrame", "FuzzDetectVersion"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbyte(%d)\n", s, i%5)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%03d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
