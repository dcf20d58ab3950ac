package pluginapi_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bphost/bphost/pluginapi"
)

var testDesc = pluginapi.Description{
	Name:    "test",
	Version: "1.0.0",
	Options: []pluginapi.OptionSpec{
		{Name: "address", Required: true, Help: "where"},
		{Name: "retries", Type: pluginapi.OptionInt, Default: "3", Help: "how often"},
		{Name: "tls", Type: pluginapi.OptionBool, Help: "encrypt"},
		{Name: "timeout", Type: pluginapi.OptionDuration, Default: "1.5s", Help: "how long"},
	},
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given map[string]string
		want  map[string]string // nil: an error
	}{
		{"defaults", map[string]string{"address": "a"}, map[string]string{"address": "a", "retries": "3", "timeout": "1.5s"}},
		{"all given", map[string]string{"address": "a", "retries": "-2", "tls": "true", "timeout": "10ms"},
			map[string]string{"address": "a", "retries": "-2", "tls": "true", "timeout": "10ms"}},
		{"empty value given", map[string]string{"address": ""}, map[string]string{"address": "", "retries": "3", "timeout": "1.5s"}},
		{"required missing", map[string]string{"retries": "1"}, nil},
		{"unknown", map[string]string{"address": "a", "adress": "b"}, nil},
		{"bad int", map[string]string{"address": "a", "retries": "three"}, nil},
		{"bad bool", map[string]string{"address": "a", "tls": "yes"}, nil},
		{"bad duration", map[string]string{"address": "a", "timeout": "5"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := testDesc.Resolve(tc.given)
			if tc.want == nil {
				if !errors.Is(err, pluginapi.ErrInvalidOptions) {
					t.Fatalf("Resolve(%v) = %v, want ErrInvalidOptions", tc.given, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Values(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Values = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResolveReportsEveryProblem(t *testing.T) {
	_, err := testDesc.Resolve(map[string]string{"retries": "x", "tls": "maybe", "colour": "red"})
	mustContain(t, err, `option "address" is required (where)`, `option "retries": "x" is not a valid int`,
		`option "tls": "maybe" is not a valid bool`, `unknown option "colour" (test takes address, retries, tls, timeout)`)
}

func TestTypedOptions(t *testing.T) {
	o, err := testDesc.Resolve(map[string]string{"address": "h:1", "tls": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.String("address") != "h:1" || o.Int("retries") != 3 || !o.Bool("tls") || o.Duration("timeout") != 1500*time.Millisecond {
		t.Errorf("typed values: %q %d %v %v", o.String("address"), o.Int("retries"), o.Bool("tls"), o.Duration("timeout"))
	}
	if o.Has("nope") || o.String("nope") != "" || o.Int("nope") != 0 {
		t.Error("an undeclared option has a value")
	}
	if o.Logger() == nil {
		t.Error("Logger is nil")
	}
}

func TestValidate(t *testing.T) {
	ok := pluginapi.OptionSpec{Name: "a", Help: "x"}
	for _, tc := range []struct {
		name string
		d    pluginapi.Description
		want string // "" means valid
	}{
		{"valid", testDesc, ""},
		{"no options", pluginapi.Description{Name: "x1-y"}, ""},
		{"empty name", pluginapi.Description{}, `name ""`},
		{"upper case", pluginapi.Description{Name: "WebSocket"}, `name "WebSocket"`},
		{"dot", pluginapi.Description{Name: "a.exe"}, `name "a.exe"`},
		{"duplicate", pluginapi.Description{Name: "x", Options: []pluginapi.OptionSpec{ok, ok}}, `"a" is declared twice`},
		{"unnamed", pluginapi.Description{Name: "x", Options: []pluginapi.OptionSpec{{}}}, "option 0 has no name"},
		{"bad type", pluginapi.Description{Name: "x", Options: []pluginapi.OptionSpec{{Name: "a", Type: 9}}}, "unknown type 9"},
		{"required default", pluginapi.Description{Name: "x", Options: []pluginapi.OptionSpec{{Name: "a", Required: true, Default: "1"}}}, "required but has a default"},
		{"bad default", pluginapi.Description{Name: "x", Options: []pluginapi.OptionSpec{{Name: "a", Type: pluginapi.OptionInt, Default: "x"}}}, `default: "x" is not a valid int`},
		{"max frame", pluginapi.Description{Name: "x", MaxFrame: pluginapi.MaxFrame + 1}, "max frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.d.Validate()
			if tc.want == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			mustContain(t, err, tc.want)
		})
	}
}

func TestOptionTypeString(t *testing.T) {
	for typ, want := range map[pluginapi.OptionType]string{0: "string", pluginapi.OptionString: "string", pluginapi.OptionInt: "int",
		pluginapi.OptionBool: "bool", pluginapi.OptionDuration: "duration", 42: "OptionType(42)"} {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(typ), got, want)
		}
	}
}
