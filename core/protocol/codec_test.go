package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestSamplesCoverRegistry(t *testing.T) {
	have := map[string]bool{}
	for _, s := range samples() {
		for _, v := range s.versions {
			got := New(s.msg.MessageName(), v)
			if got == nil || reflect.TypeOf(got) != reflect.TypeOf(s.msg) {
				t.Errorf("%T: registry has %T for %s %s", s.msg, got, s.msg.MessageName(), v)
			}
			have[fmt.Sprintf("%s/%d", s.msg.MessageName(), v)] = true
		}
	}
	for _, v := range allVersions {
		for _, name := range Names(v) {
			if !have[fmt.Sprintf("%s/%d", name, v)] {
				t.Errorf("no sample for %s in %s", name, v)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range samples() {
		for _, v := range s.versions {
			for _, lenient := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/lenient=%v", s.msg.MessageName(), v, lenient)
				t.Run(name, func(t *testing.T) {
					frame, err := Encode(s.msg)
					if err != nil {
						t.Fatalf("encode: %v", err)
					}
					d := Decoder{Version: v, Lenient: lenient}
					got, err := d.Decode(frame)
					if err != nil {
						t.Fatalf("decode %s: %v", frame, err)
					}
					if len(got) != 1 || !reflect.DeepEqual(got[0], s.msg) {
						t.Fatalf("round trip of %s:\n got %#v\nwant %#v", frame, got[0], s.msg)
					}
					again, err := Encode(got...)
					if err != nil || !bytes.Equal(again, frame) {
						t.Fatalf("re-encode differs (%v):\n%s\n%s", err, again, frame)
					}
				})
			}
		}
	}
}

func TestMultiMessageFrame(t *testing.T) {
	frame := []byte(`[{"Ping":{"Id":5}}, {"StartScanning":{"Id":6}} ,{"RequestDeviceList":{"Id":7}}]` + "\n")
	msgs, err := (&Decoder{Version: Version3}).Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	want := []Message{&Ping{ID: 5}, &StartScanning{ID: 6}, &RequestDeviceList{ID: 7}}
	if !reflect.DeepEqual(msgs, want) {
		t.Fatalf("got %#v", msgs)
	}
	out, err := Encode(want...)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `[{"Ping":{"Id":5}},{"StartScanning":{"Id":6}},{"RequestDeviceList":{"Id":7}}]` {
		t.Fatalf("encoded %s", out)
	}
}

// schemaSet compiles the JSON schema files once per test binary.
type schemaSet struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	url      string
}

func loadSchema(t *testing.T, file string) *schemaSet {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	url := "file:///" + file
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	return &schemaSet{doc: doc.(map[string]any), compiler: c, url: url}
}

func (s *schemaSet) compile(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	sch, err := s.compiler.Compile(s.url + "#" + ptr)
	if err != nil {
		t.Fatalf("compile %s: %v", ptr, err)
	}
	return sch
}

// specHas reports whether the schema's spec list for v names the message.
func (s *schemaSet) specHas(v Version, name string) bool {
	spec, _ := s.doc["specs"].(map[string]any)[fmt.Sprintf("MessageSpecV%d", v)].(map[string]any)
	if spec == nil {
		return false
	}
	props := spec["items"].(map[string]any)["properties"].(map[string]any)
	_, ok := props[name]
	return ok
}

// definition returns the JSON pointer of the newest message definition of
// name at or below v.
func (s *schemaSet) definition(v Version, name string) string {
	msgs := s.doc["messages"].(map[string]any)
	for w := int(v); w >= 0; w-- {
		group, _ := msgs[fmt.Sprintf("SpecV%dMessages", w)].(map[string]any)
		if _, ok := group[name]; ok {
			return fmt.Sprintf("/messages/SpecV%dMessages/%s", w, name)
		}
	}
	return ""
}

func validateJSON(sch *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// notInSchema lists messages this package has that the schema file lacks, and
// why. The test fails if the schema gains them, so the list stays honest.
var notInSchema = map[string]string{
	"Disconnect": "documented in the v4 spec docs but not yet in the schema (buttplug#831)",
}

func TestSchemaConformance(t *testing.T) {
	for _, file := range []string{"buttplug-schema.json", "buttplug-schema-v3.json"} {
		set := loadSchema(t, file)
		specs := map[Version]*jsonschema.Schema{}
		for _, s := range samples() {
			name := s.msg.MessageName()
			frame, err := Encode(s.msg)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range s.versions {
				if file == "buttplug-schema-v3.json" && v == Version4 {
					continue // that file predates spec v4
				}
				t.Run(fmt.Sprintf("%s/%s/%s", file, name, v), func(t *testing.T) {
					if file == "buttplug-schema-v3.json" && v == Version0 && (name == "DeviceList" || name == "DeviceAdded") {
						// That file's DeviceMessagesV0 enum lacks StopDeviceCmd, which the
						// current schema (and every server) lists; check it is exactly that.
						sch := set.compile(t, "/specs/MessageSpecV0")
						if err := validateJSON(sch, frame); err == nil || !strings.Contains(err.Error(), "DeviceMessages/1") {
							t.Fatalf("expected only the StopDeviceCmd enum difference, got %v", err)
						}
						return
					}
					if set.specHas(v, name) {
						if specs[v] == nil {
							specs[v] = set.compile(t, fmt.Sprintf("/specs/MessageSpecV%d", v))
						}
						if err := validateJSON(specs[v], frame); err != nil {
							t.Fatalf("%s fails the %s schema: %v", frame, v, err)
						}
						return
					}
					// The schema defines the message but its version list omits
					// it (LovenseCmd, v1 SingleMotorVibrateCmd, v2 Log): check the
					// message body against its own definition.
					if ptr := set.definition(v, name); ptr != "" {
						body := frame[len(`[{"`+name+`":`) : len(frame)-2]
						if err := validateJSON(set.compile(t, ptr), body); err != nil {
							t.Fatalf("%s fails %s: %v", body, ptr, err)
						}
						return
					}
					if why, ok := notInSchema[name]; ok {
						t.Skipf("%s: %s", name, why)
					}
					t.Fatalf("%s is in no schema definition and not listed in notInSchema", name)
				})
			}
		}
	}
}

// TestSchemaV3Vectors runs the reference schema's own test vectors
// (frames that must parse, must not parse, or must not parse once a field is
// added). The codec must agree with the schema validator on every one; where
// a vector's stated expectation disagrees with its own schema (the vectors
// predate later schema changes) it must be listed in staleVectors.
func TestSchemaV3Vectors(t *testing.T) {
	data, err := os.ReadFile("testdata/buttplug-schema-v3-tests.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Description string
		Messages    []map[string]map[string]any
		Tests       []string
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 18 {
		t.Fatalf("%d vectors, want 18", len(cases))
	}
	set := loadSchema(t, "buttplug-schema-v3.json")
	whole := set.compile(t, "")
	staleVectors := map[string]string{
		"RawReadCmd/ShouldPassParse":                                              "Id 0 on a client message; the schema's ClientId minimum is 1",
		"RawWriteCmd/ShouldPassParse":                                             "Id 0, and WriteWithResponse is missing but required",
		"RawSubscribeCmd/ShouldPassParse":                                         "Id 0 on a client message",
		"RawUnsubscribeCmd/ShouldPassParse":                                       "Id 0 on a client message",
		"PatternPlaybackCmd/ShouldPassParse":                                      "a message that never entered the schema",
		"ShockCmd/ShouldPassParse":                                                "a message that never entered the schema",
		"ToneEmitterCmd/ShouldPassParse":                                          "a message that never entered the schema",
		"DeviceAdded should Pass with FeatureCount and StepCount/ShouldPassParse": "lists SingleMotorVibrateCmd (v0-v1) beside a StepCount (v2 only): valid in no single spec version",
	}
	used := map[string]bool{}
	for _, c := range cases {
		for _, test := range c.Tests {
			key := c.Description + "/" + test
			t.Run(key, func(t *testing.T) {
				msgs := c.Messages
				if test == "ShouldFailOnExtraField" {
					raw, _ := json.Marshal(c.Messages)
					_ = json.Unmarshal(raw, &msgs) // deep copy
					for _, m := range msgs {
						for _, body := range m {
							body["ExtraField"] = 1
						}
					}
				}
				frame, _ := json.Marshal(msgs)
				schemaOK := validateJSON(whole, frame) == nil
				ourErr := decodeAnyVersion(frame)
				if schemaOK != (ourErr == nil) {
					t.Fatalf("%s: schema accepts=%v, codec error=%v", frame, schemaOK, ourErr)
				}
				if test == "ShouldFailOnExtraField" && decodeAnyVersion(mustJSON(c.Messages)) == nil && !errors.Is(ourErr, ErrUnknownField) {
					t.Fatalf("%s: got %v, want ErrUnknownField", frame, ourErr)
				}
				if expected := test == "ShouldPassParse"; expected != schemaOK {
					why, ok := staleVectors[key]
					if !ok {
						t.Fatalf("%s: vector expects pass=%v, schema says %v, and it is not listed as stale", frame, expected, schemaOK)
					}
					used[key] = true
					t.Logf("stale vector (schema and codec agree against it): %s", why)
				}
			})
		}
	}
	for key := range staleVectors {
		if !used[key] {
			t.Errorf("staleVectors lists %s, which is no longer stale", key)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// decodeAnyVersion decodes frame strictly in every spec version and returns
// nil if one accepts it, else the most telling error (not "wrong version").
func decodeAnyVersion(frame []byte) error {
	var best error
	for _, v := range allVersions {
		_, err := (&Decoder{Version: v}).Decode(frame)
		if err == nil {
			return nil
		}
		if best == nil || errors.Is(best, ErrWrongVersion) {
			best = err
		}
	}
	return best
}

// TestHandWrittenFrames decodes frames copied from the spec documentation
// and the reference implementation's examples.
func TestHandWrittenFrames(t *testing.T) {
	tests := []struct {
		v     Version
		frame string
		want  Message
	}{
		{Version4, `[{"RequestServerInfo":{"Id":1,"ClientName":"App","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]`,
			&RequestServerInfo{ID: 1, ClientName: "App", ProtocolVersionMajor: 4}},
		{Version3, `[{"ServerInfo":{"Id":1,"MessageVersion":3,"MaxPingTime":0,"ServerName":"Buttplug Server"}}]`,
			&ServerInfoV2{ID: 1, MessageVersion: 3, ServerName: "Buttplug Server"}},
		{Version0, `[{"ServerInfo":{"Id":1,"MajorVersion":0,"MinorVersion":0,"BuildVersion":0,"MessageVersion":0,"MaxPingTime":0,"ServerName":"Buttplug Server"}}]`,
			&ServerInfoV0{ID: 1, ServerName: "Buttplug Server"}},
		{Version4, `[{"OutputCmd":{"Id":2,"DeviceIndex":1,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":91,"Duration":150}}}}]`,
			&OutputCmd{ID: 2, DeviceIndex: 1, Command: OutputCommand{Type: OutputHwPositionWithDuration, Value: 91, Duration: 150}}},
		{Version4, `[{"InputReading":{"Id":3,"DeviceIndex":0,"FeatureIndex":2,"Reading":{"Battery":{"Value":50}}}}]`,
			&InputReading{ID: 3, FeatureIndex: 2, Reading: InputValue{Type: InputBattery, Value: 50}}},
		{Version4, `[{"StopCmd":{"Id":4}}]`, &StopCmd{ID: 4}},
		{Version3, `[{"ScalarCmd":{"Id":1,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]`,
			&ScalarCmd{ID: 1, Scalars: []ScalarSubcommand{{Scalar: 0.5, ActuatorType: ActuatorVibrate}}}},
		{Version3, `[{"SensorReading":{"Id":4,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery","Data":[87]}}]`,
			&SensorReading{ID: 4, SensorType: SensorBattery, Data: []int32{87}}},
		{Version3, `[{"RawReading":{"Id":0,"DeviceIndex":0,"Endpoint":"rx","Data":[0,1,0]}}]`,
			&RawReading{Endpoint: "rx", Data: ByteArray{0, 1, 0}}},
		{Version3, `[{"DeviceAdded":{"Id":0,"DeviceIndex":0,"DeviceName":"MagicMotion Smart Mini Vibe","DeviceMessages":{"ScalarCmd":[{"FeatureDescriptor":"N/A","ActuatorType":"Vibrate","StepCount":100}],"SensorReadCmd":[{"FeatureDescriptor":"Battery Level","SensorType":"Battery","SensorRange":[[0,100]]}],"StopDeviceCmd":{}}}}]`,
			&DeviceAddedV3{DeviceInfoV3: DeviceInfoV3{DeviceName: "MagicMotion Smart Mini Vibe", DeviceMessages: DeviceMessagesV3{
				StopDeviceCmd: &NullAttributes{},
				ScalarCmd:     []GenericAttributesV3{{FeatureDescriptor: "N/A", ActuatorType: ActuatorVibrate, StepCount: 100}},
				SensorReadCmd: []SensorAttributes{{FeatureDescriptor: "Battery Level", SensorType: SensorBattery, SensorRange: RangeList{{0, 100}}}},
			}}}},
		{Version0, `[{"DeviceList":{"Id":1,"Devices":[{"DeviceName":"TestDevice","DeviceIndex":0,"DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"]}]}}]`,
			&DeviceListV0{ID: 1, Devices: []DeviceInfoV0{{DeviceName: "TestDevice", DeviceMessages: []MessageNameV0{"SingleMotorVibrateCmd", "StopDeviceCmd"}}}}},
		{Version2, `[{"RawReadCmd":{"Id":8,"DeviceIndex":0,"Endpoint":"rx","ExpectedLength":4,"WaitForData":false}}]`,
			&RawReadCmd{ID: 8, Endpoint: "rx", Length: 4}},
	}
	for _, tt := range tests {
		got, err := (&Decoder{Version: tt.v}).Decode([]byte(tt.frame))
		if err != nil {
			t.Errorf("%s: %v", tt.frame, err)
			continue
		}
		if !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.frame, got[0], tt.want)
		}
	}
}

// TestLenientDeviceList checks the spellings servers really send are read,
// and that a client can ignore what a newer server adds.
func TestLenientDeviceList(t *testing.T) {
	frame := []byte(`[{"DeviceList":{"Id":0,"Devices":{"0":{"DeviceIndex":0,"DeviceName":"X","DeviceMessageTimingGap":0,"NewField":1,
		"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescriptor":"Battery","Input":{"RSSI":{"Value":[-100,0],"Command":["Read","Teleport"]}},
		"Output":{"Vibrate":{"Value":[0,20]},"Tickle":{"Value":[0,5]}}}}}}}}]`)
	msgs, err := (&Decoder{Version: Version4, Lenient: true}).Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	f := msgs[0].(*DeviceList).Devices[0].DeviceFeatures[0]
	want := Feature{FeatureDescription: "Battery",
		Input:  map[InputType]InputSpec{InputRssi: {Value: RangeList{{-100, 0}}, Command: []InputCommandType{InputCommandRead}}},
		Output: map[OutputType]OutputSpec{OutputVibrate: {Value: Range{0, 20}}}}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got %#v", f)
	}
	// The same frame is refused by a strict decoder, naming the first problem.
	_, err = (&Decoder{Version: Version4}).Decode(frame)
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrInvalidEnum) && !errors.Is(err, ErrUnknownField) {
		t.Fatalf("strict decode: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	big := `[{"Ping":{"Id":1}}` + strings.Repeat(" ", 100) + `]`
	tests := []struct {
		name    string
		v       Version
		frame   string
		err     error
		field   string
		msg     string
		id      uint32
		hasID   bool
		details string
	}{
		{"empty input", Version3, ``, ErrMalformedJSON, "", "", 0, false, "empty"},
		{"not json", Version3, `hello`, ErrMalformedJSON, "", "", 0, false, ""},
		{"truncated", Version3, `[{"Ping":{"Id":1}`, ErrMalformedJSON, "", "", 0, false, ""},
		{"object frame", Version3, `{"Ping":{"Id":1}}`, ErrNotArray, "", "", 0, false, "object"},
		{"empty array", Version3, `[]`, ErrEmptyFrame, "", "", 0, false, ""},
		{"trailing garbage", Version3, `[{"Ping":{"Id":1}}]x`, ErrTrailingData, "", "", 0, false, ""},
		{"two arrays", Version3, `[{"Ping":{"Id":1}}][{"Ping":{"Id":2}}]`, ErrTrailingData, "", "", 0, false, ""},
		{"too large", Version3, big, ErrFrameTooLarge, "", "", 0, false, "limit 64"},
		{"message not object", Version3, `[5]`, ErrNotObject, "", "", 0, false, "number"},
		{"two keys", Version3, `[{"Ping":{"Id":1},"Ok":{"Id":1}}]`, ErrNotObject, "", "", 0, false, "2 keys"},
		{"unknown message", Version3, `[{"Pong":{"Id":3}}]`, ErrUnknownMessage, "", "Pong", 3, true, `"Pong"`},
		{"wrong version", Version3, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}}]`, ErrWrongVersion, "", "OutputCmd", 3, true, "spec v3"},
		{"missing field", Version3, `[{"StopDeviceCmd":{"Id":3}}]`, ErrMissingField, "DeviceIndex", "StopDeviceCmd", 3, true, ""},
		{"missing nested field", Version3, `[{"ScalarCmd":{"Id":3,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5}]}}]`, ErrMissingField, "Scalars[0].ActuatorType", "ScalarCmd", 3, true, ""},
		{"unknown field", Version3, `[{"Ping":{"Id":3,"Extra":true}}]`, ErrUnknownField, "Extra", "Ping", 3, true, ""},
		{"wrong type string", Version3, `[{"StopDeviceCmd":{"Id":3,"DeviceIndex":"0"}}]`, ErrWrongType, "DeviceIndex", "StopDeviceCmd", 3, true, "got string"},
		{"wrong type fraction", Version3, `[{"StopDeviceCmd":{"Id":3,"DeviceIndex":1.5}}]`, ErrWrongType, "DeviceIndex", "StopDeviceCmd", 3, true, "integer"},
		{"body not object", Version3, `[{"Ping":[1]}]`, ErrWrongType, "", "Ping", 0, false, "array"},
		{"id zero", Version3, `[{"Ping":{"Id":0}}]`, ErrInvalidID, "Id", "Ping", 0, true, "reserved"},
		{"id too large", Version3, `[{"Ping":{"Id":4294967296}}]`, ErrOutOfRange, "Id", "Ping", 0, false, "32 bits"},
		{"id negative", Version3, `[{"Ping":{"Id":-1}}]`, ErrOutOfRange, "Id", "Ping", 0, false, "negative"},
		{"event with id", Version3, `[{"ScanningFinished":{"Id":3}}]`, ErrInvalidID, "Id", "ScanningFinished", 3, true, ""},
		{"speed above one", Version2, `[{"VibrateCmd":{"Id":3,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1.5}]}}]`, ErrOutOfRange, "Speeds[0].Speed", "VibrateCmd", 3, true, "1.5 not in [0, 1]"},
		{"empty scalars", Version3, `[{"ScalarCmd":{"Id":3,"DeviceIndex":0,"Scalars":[]}}]`, ErrOutOfRange, "Scalars", "ScalarCmd", 3, true, "at least 1"},
		{"error code", Version3, `[{"Error":{"Id":0,"ErrorMessage":"x","ErrorCode":9}}]`, ErrOutOfRange, "ErrorCode", "Error", 0, true, ""},
		{"unknown actuator", Version3, `[{"ScalarCmd":{"Id":3,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Tickle"}]}}]`, ErrInvalidEnum, "Scalars[0].ActuatorType", "ScalarCmd", 3, true, "Tickle"},
		{"unknown output type", Version4, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Tickle":{"Value":1}}}}]`, ErrInvalidEnum, "Command.Tickle", "OutputCmd", 3, true, ""},
		{"output without value", Version4, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{}}}}]`, ErrMissingField, "Command.Vibrate.Value", "OutputCmd", 3, true, ""},
		{"output value list", Version4, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":[50]}}}}]`, ErrWrongType, "Command.Vibrate.Value", "OutputCmd", 3, true, "array"},
		{"position without duration", Version4, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"HwPositionWithDuration":{"Value":5}}}}]`, ErrMissingField, "Command.HwPositionWithDuration.Duration", "OutputCmd", 3, true, ""},
		{"two commands", Version4, `[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1},"Rotate":{"Value":1}}}}]`, ErrWrongType, "Command", "OutputCmd", 3, true, "exactly one"},
		{"unknown input command", Version4, `[{"InputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Type":"Battery","Command":"Poke"}}]`, ErrInvalidEnum, "Command", "InputCmd", 3, true, "Poke"},
		{"range of three", Version4, `[{"DeviceList":{"Id":1,"Devices":{"0":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"Vibrate":{"Value":[0,1,2]}}}}}}}}]`, ErrWrongType, `Devices["0"].DeviceFeatures["0"].Output["Vibrate"].Value`, "DeviceList", 1, true, "2 items"},
		{"bad map key", Version4, `[{"DeviceList":{"Id":1,"Devices":{"zero":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{}}}}}]`, ErrWrongType, `Devices["zero"]`, "DeviceList", 1, true, "map key"},
		{"second message bad", Version3, `[{"Ping":{"Id":1}},{"Ping":{"Id":"two"}}]`, ErrWrongType, "Id", "Ping", 0, false, ""},
		{"repeated member", Version3, `[{"Ping":{"Id":1,"Id":2}}]`, ErrMalformedJSON, "", "", 0, false, "duplicate"},
		{"repeated message key", Version3, `[{"Ping":{"Id":1},"Ping":{"Id":2}}]`, ErrMalformedJSON, "", "", 0, false, "duplicate"},
		{"invalid UTF-8", Version3, "[{\"Test\":{\"Id\":1,\"TestString\":\"\xff\"}}]", ErrMalformedJSON, "", "", 0, false, "UTF-8"},
		{"map key not canonical", Version4, `[{"DeviceList":{"Id":1,"Devices":{"01":{"DeviceName":"X","DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceFeatures":{}}}}}]`, ErrWrongType, `Devices["01"]`, "DeviceList", 1, true, "map key"},
		{"null field", Version3, `[{"StopDeviceCmd":{"Id":3,"DeviceIndex":null}}]`, ErrWrongType, "DeviceIndex", "StopDeviceCmd", 3, true, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&Decoder{Version: tt.v, limit: 64}).Decode([]byte(tt.frame))
			if tt.name != "too large" {
				_, err = (&Decoder{Version: tt.v}).Decode([]byte(tt.frame))
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%T is not a *DecodeError", err)
			}
			if de.Field != tt.field || de.Message != tt.msg || de.ID != tt.id || de.HasID != tt.hasID {
				t.Fatalf("got field %q message %q id %d/%v, want %q %q %d/%v (%v)", de.Field, de.Message, de.ID, de.HasID, tt.field, tt.msg, tt.id, tt.hasID, err)
			}
			if !strings.Contains(err.Error(), tt.details) {
				t.Fatalf("error %q does not mention %q", err, tt.details)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		msg   Message
		err   error
		field string
	}{
		{"client id zero", &Ping{}, ErrInvalidID, "Id"},
		{"event with id", &ScanningFinished{ID: 4}, ErrInvalidID, "Id"},
		{"speed out of range", &VibrateCmd{ID: 1, Speeds: []VibrateSpeed{{Speed: 2}}}, ErrOutOfRange, "Speeds[0].Speed"},
		{"empty scalars", &ScalarCmd{ID: 1}, ErrOutOfRange, "Scalars"},
		{"unknown actuator", &ScalarCmd{ID: 1, Scalars: []ScalarSubcommand{{ActuatorType: "Tickle"}}}, ErrInvalidEnum, "Scalars[0].ActuatorType"},
		{"alias spelling", &InputCmd{ID: 1, Type: "RSSI", Command: InputCommandRead}, ErrInvalidEnum, "Type"},
		{"unknown output", &OutputCmd{ID: 1, Command: OutputCommand{Type: "Tickle"}}, ErrInvalidEnum, "Command.Type"},
		{"error code", &Error{ErrorCode: 7}, ErrOutOfRange, "ErrorCode"},
		{"feature map key", &DeviceList{Devices: map[uint32]DeviceInfo{0: {DeviceFeatures: map[uint32]Feature{0: {Output: map[OutputType]OutputSpec{"Tickle": {}}}}}}}, ErrInvalidEnum, "Devices[0].DeviceFeatures[0].Output[Tickle]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(tt.msg)
			var ee *EncodeError
			if !errors.Is(err, tt.err) || !errors.As(err, &ee) || ee.Field != tt.field {
				t.Fatalf("got %v (field %q), want %v at %q", err, fieldOf(ee), tt.err, tt.field)
			}
		})
	}
	if _, err := Encode(); !errors.Is(err, ErrEmptyFrame) {
		t.Fatalf("empty frame: %v", err)
	}
}

func fieldOf(e *EncodeError) string {
	if e == nil {
		return ""
	}
	return e.Field
}

func TestDetectVersion(t *testing.T) {
	tests := []struct {
		frame string
		want  Version
		err   error
	}{
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A"}}]`, Version0, nil},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":1}}]`, Version1, nil},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":3}}]`, Version3, nil},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","ProtocolVersionMajor":4,"ProtocolVersionMinor":2}}]`, Version4, nil},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]`, 5, ErrWrongVersion},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":4}}]`, 4, ErrWrongVersion},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","ProtocolVersionMajor":3,"ProtocolVersionMinor":0}}]`, 3, ErrWrongVersion},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":"3"}}]`, 0, ErrWrongType},
		{`[{"RequestServerInfo":{"Id":1,"ClientName":"A","MessageVersion":-3}}]`, 0, ErrOutOfRange},
		{`[{"Ping":{"Id":1}}]`, 0, ErrWrongVersion},
	}
	for _, tt := range tests {
		envs, err := SplitFrame([]byte(tt.frame))
		if err != nil {
			t.Fatal(err)
		}
		v, err := DetectVersion(&envs[0])
		if v != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s: got %s, %v; want %s, %v", tt.frame, v, err, tt.want, tt.err)
		}
		if err == nil {
			if _, err := (&Decoder{Version: v}).DecodeEnvelope(&envs[0]); err != nil {
				t.Errorf("%s: decode as %s: %v", tt.frame, v, err)
			}
		}
	}
}

func TestEnums(t *testing.T) {
	if got, err := ParseInputType("RSSI"); err != nil || got != InputRssi {
		t.Errorf("RSSI: %v %v", got, err)
	}
	if _, err := ParseInputType("Smell"); !errors.Is(err, ErrInvalidEnum) {
		t.Errorf("Smell: %v", err)
	}
	for _, o := range OutputTypes {
		if got, err := ParseOutputType(string(o)); err != nil || got != o || !o.Valid() {
			t.Errorf("%s: %v %v", o, got, err)
		}
	}
	if OutputType("vibrate").Valid() {
		t.Error("output types are case sensitive")
	}
	if InputType("RSSI").Valid() || !InputRssi.Valid() {
		t.Error("only the canonical spelling is valid")
	}
	if SensorType("Rssi").Valid() || !SensorRSSI.Valid() {
		t.Error("sensor RSSI canonical spelling")
	}
	codes := map[ErrorCode]string{ErrorUnknown: "ERROR_UNKNOWN", ErrorInit: "ERROR_INIT", ErrorPing: "ERROR_PING", ErrorMsg: "ERROR_MSG", ErrorDevice: "ERROR_DEVICE", 9: "ERROR_9"}
	for c, s := range codes {
		if c.String() != s {
			t.Errorf("%d: %s", c, c)
		}
	}
	if Version(7).Valid() || Version(7).String() != "v7(unsupported)" || Version3.String() != "v3" {
		t.Error("version strings")
	}
}

func TestErrorMessageIsGoError(t *testing.T) {
	var err error = NewError(3, ErrorDevice, "device %d gone", 2)
	wrapped := fmt.Errorf("vibrate: %w", err)
	if code, ok := CodeOf(wrapped); !ok || code != ErrorDevice {
		t.Fatalf("CodeOf: %v %v", code, ok)
	}
	if !errors.Is(wrapped, &Error{ErrorCode: ErrorDevice}) || errors.Is(wrapped, &Error{ErrorCode: ErrorMsg}) {
		t.Fatal("errors.Is by code")
	}
	if err.Error() != "buttplug ERROR_DEVICE: device 2 gone" {
		t.Fatalf("text %q", err)
	}
	if _, ok := CodeOf(errors.New("x")); ok {
		t.Fatal("plain error has no code")
	}
}

func TestNamesSorted(t *testing.T) {
	v4 := Names(Version4)
	slices.Sort(v4)
	want := []string{"DeviceList", "Disconnect", "Error", "InputCmd", "InputReading", "Ok", "OutputCmd", "Ping", "RequestDeviceList", "RequestServerInfo", "ScanningFinished", "ServerInfo", "StartScanning", "StopCmd", "StopScanning"}
	if !slices.Equal(v4, want) {
		t.Fatalf("v4 names %v", v4)
	}
	if New("OutputCmd", Version3) != nil || New("Nope", Version4) != nil || New("Ping", 9) != nil {
		t.Fatal("New must return nil for messages a version lacks")
	}
}

// TestEnumTablesCanonical checks that a canonical spelling maps to itself,
// so an enumeration the decoder stored always passes validation, and that
// the empty string is never accepted.
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

// TestLenientSkipsUnknownTypesUnread: a newer server's output or input type
// may have a shape of its own; a lenient decoder skips it without reading
// it, and a strict one refuses it.
func TestLenientSkipsUnknownTypesUnread(t *testing.T) {
	frame := []byte(`[{"DeviceList":{"Id":0,"Devices":{"0":{"DeviceIndex":0,"DeviceName":"X","DeviceMessageTimingGap":0,
		"DeviceFeatures":{"0":{"FeatureIndex":0,"FeatureDescription":"","Output":{"Vibrate":{"Value":[0,20]},"Tickle":{"Value":{"Min":0},"Pattern":null}},
		"Input":{"Smell":null,"Battery":{"Value":[[0,100]],"Command":["Read"]}}}}}}}}]`)
	msgs, err := (&Decoder{Version: Version4, Lenient: true}).Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	f := msgs[0].(*DeviceList).Devices[0].DeviceFeatures[0]
	if len(f.Output) != 1 || f.Output[OutputVibrate].Value != (Range{0, 20}) || len(f.Input) != 1 {
		t.Fatalf("got %#v", f)
	}
	if _, err := (&Decoder{Version: Version4}).Decode(frame); err == nil {
		t.Fatal("a strict decoder accepted unknown types")
	}
}
