package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

func mustDefault(t testing.TB) *config.DB {
	t.Helper()
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestBuiltinLoads(t *testing.T) {
	db := mustDefault(t)
	if v := db.Version(); v.Major != 4 {
		t.Fatalf("version %v", v)
	}
	if n := len(db.Protocols()); n < 100 {
		t.Fatalf("%d protocols", n)
	}
	defs := db.FindByName("lovense max")
	if len(defs) == 0 {
		t.Fatal("no Lovense Max")
	}
	max := defs[0] // sorted by protocol: "lovense" before "lovense-connect-service"
	if max.Protocol != "lovense" || len(max.Identifiers) != 1 || max.Identifiers[0] != "B" {
		t.Fatalf("Lovense Max = %+v", max)
	}
	if c := max.Feature(1).Output(protocol.OutputConstrict); c == nil || c.Steps() != (protocol.Range{0, 3}) {
		t.Fatalf("constrict output %+v", c)
	}
}

func TestMatch(t *testing.T) {
	db := mustDefault(t)
	cases := []struct {
		adv  comm.Advertisement
		want string
	}{
		{comm.Advertisement{Bus: comm.BusBLE, Name: "LVS-Z36"}, "lovense"},
		{comm.Advertisement{Bus: comm.BusBLE, Name: "LOVE-XY"}, "lovense"},
		{comm.Advertisement{Bus: comm.BusBLE, Name: "SWK-SX013A"}, "svakom-pulse"},
		{comm.Advertisement{Bus: comm.BusBLE, Name: "unknown", ManufacturerData: map[uint16][]byte{620: {1, 255, 33, 7}}}, "lovense"},
		{comm.Advertisement{Bus: comm.BusBLE, Name: "unknown", Services: []string{"5a300001-0024-4bd4-bbd5-a6920e4c5653"}}, "lovense"},
		{comm.Advertisement{Bus: comm.BusBLE, Name: "nothing-like-it"}, ""},
	}
	for _, c := range cases {
		ms := db.Match(c.adv)
		got := ""
		if len(ms) > 0 {
			got = ms[0].Protocol
		}
		if got != c.want {
			t.Errorf("Match(%s) = %q, want %q", c.adv, got, c.want)
		}
	}
}

func TestResolveStableIndexes(t *testing.T) {
	db := mustDefault(t)
	a, err := db.Resolve("lovense", "Z", "addr-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.Resolve("lovense", "S", "addr-b")
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.Resolve("lovense", "Z", "addr-a")
	if err != nil {
		t.Fatal(err)
	}
	if a.Index == b.Index || again.Index != a.Index {
		t.Fatalf("indexes a=%d b=%d again=%d", a.Index, b.Index, again.Index)
	}
	if a.Name != "Lovense Hush" || b.Name != "Lovense Lush" {
		t.Fatalf("names %q %q", a.Name, b.Name)
	}
	// An unknown model of a protocol falls back to its defaults.
	d, err := db.Resolve("lovense", "NOPE", "addr-c")
	if err != nil || d.Name != "Lovense Device" {
		t.Fatalf("fallback %v %v", d, err)
	}
	if _, err := db.Resolve("no-such-protocol", "", "x"); !errors.Is(err, config.ErrUnknownDevice) {
		t.Fatalf("unknown protocol: %v", err)
	}
}

func TestUserConfigOverrides(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "device-tests", "config", "lovense_ridge_user_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := config.Load(nil, &config.Source{Name: "ridge.json", Data: b})
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Resolve("lovense", "F", "UserConfigTest")
	if err != nil {
		t.Fatal(err)
	}
	if d.DisplayName != "Lovense Name Test" || d.Index != 0 {
		t.Fatalf("user definition %+v", d)
	}
	// Another F elsewhere is a plain Lovense Sex Machine with a new index.
	other, err := db.Resolve("lovense", "F", "elsewhere")
	if err != nil || other.DisplayName != "" || other.Index == 0 {
		t.Fatalf("other %+v %v", other, err)
	}
}

func TestUserRangeLimit(t *testing.T) {
	user := `{"version":{"major":4,"minor":0},"user_configs":{"devices":[
	 {"identifier":{"protocol":"lovense","identifier":"Z","address":"a"},
	  "config":{"id":"5d434198-4697-4b00-985e-33788fc955d1","base_id":"37642e1c-a416-44d3-bada-76b6d9e245c9",
	   "features":[{"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","base_id":"3f7a25a5-df21-42ca-bf9f-d1c52df1f37e",
	                "output":{"vibrate":{"value":[5,15]}}},
	               {"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c","base_id":"14bd7637-13ed-49ba-9eb9-9c8ba9abec20"}],
	   "user_config":{"allow":false,"deny":false,"index":7,"display_name":"Mine","message_gap_ms":30}}}]}}`
	db, err := config.Load(nil, &config.Source{Name: "u.json", Data: []byte(user)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Resolve("lovense", "Z", "a")
	if err != nil {
		t.Fatal(err)
	}
	o := d.Feature(0).Output(protocol.OutputVibrate)
	if o.Steps() != (protocol.Range{0, 10}) {
		t.Fatalf("steps %v, want [0 10]", o.Steps())
	}
	for _, c := range []struct{ in, out int32 }{{0, 0}, {1, 6}, {10, 15}} {
		if v, err := o.DeviceValue(c.in); err != nil || v != c.out {
			t.Errorf("DeviceValue(%d) = %d, %v; want %d", c.in, v, err, c.out)
		}
	}
	if _, err := o.DeviceValue(11); err == nil {
		t.Error("value above the user range accepted")
	}
	if d.MessageGap == nil || d.MessageGap.Milliseconds() != 30 || d.Index != 7 || d.DisplayName != "Mine" {
		t.Fatalf("user settings %+v", d)
	}
}

const goodDevice = `{"identifier":{"protocol":"lovense","identifier":"Z","address":"a"},
 "config":{"id":"5d434198-4697-4b00-985e-33788fc955d1","base_id":"37642e1c-a416-44d3-bada-76b6d9e245c9",
  "features":[{"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","base_id":"3f7a25a5-df21-42ca-bf9f-d1c52df1f37e"%s},
              {"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c","base_id":"14bd7637-13ed-49ba-9eb9-9c8ba9abec20"}],
  "user_config":{"allow":false,"deny":false,"index":0}}}`

func TestMalformedUserConfig(t *testing.T) {
	wrap := func(devices string) string {
		return `{"version":{"major":4,"minor":0},"user_configs":{"devices":[` + devices + `]}}`
	}
	dev := func(extra string) string { return wrap(strings.Replace(goodDevice, "%s", extra, 1)) }
	cases := []struct {
		name, json, path, msg string
	}{
		{"syntax", `{"version": {"major": 4,}`, "line 1, column 24", "invalid JSON"}, // the trailing comma
		{"empty", ``, "line 1, column 1", "unexpected end of input"},
		{"trailing", `{"version":{"major":4}} x`, "line 1", "after the JSON document"},
		{"version type", `{"version":{"major":"4"}}`, "$.version.major", "expected an integer"},
		{"duplicate", `{"version":{"major":4},"user_configs":{"devices":[{"identifier":{"protocol":"a","protocol":"b"}}]}}`, "$.user_configs.devices[0].identifier.protocol", "appears twice"},
		{"null root", `null`, "$", "expected an object, got null"},
		{"null bus", `{"version":{"major":4},"user_configs":{"protocols":{"x":{"communication":[{"btle":null}]}}}}`, "$.user_configs.protocols.x.communication[0].btle", "expected an object, got null"},
		{"version mismatch", `{"version":{"major":3,"minor":0}}`, "$.version.major", "differs from the base"},
		{"unknown top key", `{"version":{"major":4},"extra":1}`, "$.extra", `unknown field "extra"`},
		{"devices not array", `{"version":{"major":4},"user_configs":{"devices":{}}}`, "$.user_configs.devices", "expected an array"},
		{"range too wide", dev(`,"output":{"vibrate":{"value":[0,40]}}`), "$.user_configs.devices[0].config.features[0].output.vibrate.value", "exceeds the device range"},
		{"range reversed", dev(`,"output":{"vibrate":{"value":[9,3]}}`), "$.user_configs.devices[0].config.features[0].output.vibrate.value", "minimum above its maximum"},
		{"output not in base", dev(`,"output":{"rotate":{"disabled":true}}`), "$.user_configs.devices[0].config.features[0].output.rotate", "no rotate output"},
		{"unknown output", dev(`,"output":{"wiggle":{}}`), "$.user_configs.devices[0].config.features[0].output.wiggle", "unknown output type"},
		{"typo", dev(`,"output":{"vibrate":{"disabeld":true}}`), "$.user_configs.devices[0].config.features[0].output.vibrate.disabeld", "unknown field"},
		{"disabled type", dev(`,"output":{"vibrate":{"disabled":"yes"}}`), "$.user_configs.devices[0].config.features[0].output.vibrate.disabled", "expected true or false"},
		{"bad base id", wrap(strings.Replace(strings.Replace(goodDevice, "%s", "", 1), "37642e1c-a416-44d3-bada-76b6d9e245c9", "00000000-0000-0000-0000-000000000000", 1)), "$.user_configs.devices[0].config.base_id", "no definition"},
		{"bad uuid", wrap(strings.Replace(strings.Replace(goodDevice, "%s", "", 1), "5d434198-4697-4b00-985e-33788fc955d1", "nope", 1)), "$.user_configs.devices[0].config.id", "expected a UUID"},
		{"missing index", wrap(strings.Replace(strings.Replace(goodDevice, "%s", "", 1), `,"index":0`, "", 1)), "$.user_configs.devices[0].config.user_config", `missing required field "index"`},
		{"bad endpoint", `{"version":{"major":4},"user_configs":{"protocols":{"x":{"communication":[{"btle":{"names":["a"],"services":{"0000eea0-0000-1000-8000-00805f9b34fb":{"tox":"0000ee01-0000-1000-8000-00805f9b34fb"}}}}]}}}}`,
			`$.user_configs.protocols.x.communication[0].btle.services["0000eea0-0000-1000-8000-00805f9b34fb"].tox`, "unknown endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(nil, &config.Source{Name: "my-user.json", Data: []byte(c.json)})
			var ce *config.Error
			if !errors.As(err, &ce) || !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want *config.Error", err)
			}
			if ce.File != "my-user.json" {
				t.Errorf("file %q", ce.File)
			}
			if !strings.HasPrefix(ce.Path, c.path) {
				t.Errorf("path %q, want %q", ce.Path, c.path)
			}
			if !strings.Contains(ce.Msg, c.msg) {
				t.Errorf("message %q, want it to contain %q", ce.Msg, c.msg)
			}
			if !strings.Contains(err.Error(), "my-user.json") {
				t.Errorf("error text %q does not name the file", err)
			}
		})
	}
}

func TestVectorUserConfigsLoad(t *testing.T) {
	dir := filepath.Join("..", "testdata", "device-tests", "config")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = config.Load(nil, &config.Source{Name: e.Name(), Data: b})
		// The invalid-range file refers to a base definition id that does
		// not exist in the official configuration.
		if strings.Contains(e.Name(), "invalid") {
			if err == nil {
				t.Errorf("%s loaded without error", e.Name())
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
	}
}

func TestBaseConfigErrors(t *testing.T) {
	_, err := config.Load(&config.Source{Name: "base.json", Data: []byte(`{"version":{"major":4},"protocols":{"p":{"configurations":[{"identifier":["a"],"name":"A","id":"5d434198-4697-4b00-985e-33788fc955d1","features":[{"index":0,"id":"5d434198-4697-4b00-985e-33788fc955d1","output":{"vibrate":{"value":[0,"x"]}}}]}]}}}`)}, nil)
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Path != "$.protocols.p.configurations[0].features[0].output.vibrate.value[1]" {
		t.Fatalf("err = %v", err)
	}
}

func FuzzLoadUser(f *testing.F) {
	dir := filepath.Join("..", "testdata", "device-tests", "config")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"version":{"major":4,"minor":0},"user_configs":{"devices":[` + strings.Replace(goodDevice, "%s", "", 1) + `]}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	db := mustDefault(f)
	_ = db
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := config.Load(nil, &config.Source{Name: "fuzz.json", Data: data})
		if err != nil {
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *config.Error", err)
			}
			return
		}
		// Whatever loaded must resolve and describe itself without panics.
		for _, d := range db.Definitions()[:3] {
			if r, err := db.Resolve(d.Protocol, firstOr(d.Identifiers), "fuzz"); err == nil {
				_ = r.DeviceInfo(r.Index, 0)
			}
		}
		_ = db.Allowed("fuzz")
	})
}

// FuzzLoadBase feeds the base configuration parser arbitrary documents,
// seeded with the small base of the error corpus and its variants: every
// failure is a *config.Error, and whatever loads can be queried.
func FuzzLoadBase(f *testing.F) {
	f.Add([]byte(smallBase))
	f.Add([]byte(`{"version":{"major":4},"protocols":{"p":{"communication":[{"btle":null}]}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := config.Load(&config.Source{Name: "fuzz.json", Data: data}, nil)
		if err != nil {
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *config.Error", err)
			}
			return
		}
		for _, d := range db.Definitions() {
			if r, err := db.Resolve(d.Protocol, firstOr(d.Identifiers), "fuzz"); err == nil {
				_ = r.DeviceInfo(r.Index, 0)
			}
		}
		for _, p := range db.Protocols() {
			_ = db.BLEServices(p)
		}
	})
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func BenchmarkLoad(b *testing.B) {
	user, err := os.ReadFile(filepath.Join("..", "testdata", "device-tests", "config", "lovense_ridge_user_config.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("builtin", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := config.Default(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("builtin+user", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := config.Load(nil, &config.Source{Name: "u", Data: user}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse-full-base", func(b *testing.B) {
		base := config.BuiltinJSON()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := config.Load(&config.Source{Name: "base", Data: base}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	db := mustDefault(b)
	adv := comm.Advertisement{Bus: comm.BusBLE, Name: "LVS-Z36"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if len(db.Match(adv)) == 0 {
			b.Fatal("no match")
		}
	}
}

func TestBLEServices(t *testing.T) {
	db := mustDefault(t)
	lovense := db.BLEServices("lovense")
	if got := lovense["5a300001-0024-4bd4-bbd5-a6920e4c5653"][comm.EndpointTx]; got != "5a300002-0024-4bd4-bbd5-a6920e4c5653" {
		t.Errorf("lovense tx of service 5a300001: %q", got)
	}
	if len(lovense) < 2 {
		t.Errorf("lovense: %d services, want every variant the configuration lists", len(lovense))
	}
	if got := db.BLEServices("tcode-v03"); len(got) != 0 {
		t.Errorf("serial protocol tcode-v03 has BLE services %v", got)
	}
	if got := db.BLEServices("no-such-protocol"); len(got) != 0 {
		t.Errorf("unknown protocol: %v", got)
	}
}
