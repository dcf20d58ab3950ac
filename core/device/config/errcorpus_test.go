package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/config"
)

// mutations returns copies of the JSON document v, each with one change: a
// value replaced by one of another type or out of range, a member removed,
// or an unknown member added. Keys are visited sorted, so the list is the
// same on every run.
func mutations(v any) []any {
	var out []any
	replacements := []any{"x", json.Number("7"), json.Number("-1"), json.Number("1.5"), json.Number("70000"), json.Number("5000000000"), nil, []any{}, map[string]any{}, true, []any{json.Number("9"), json.Number("3")}}
	var walk func(v any, set func(any) any)
	walk = func(v any, set func(any) any) {
		for _, r := range replacements {
			out = append(out, set(r))
		}
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				k := k
				without := map[string]any{}
				for kk, vv := range t {
					if kk != k {
						without[kk] = vv
					}
				}
				out = append(out, set(without))
				walk(t[k], func(nv any) any {
					c := map[string]any{}
					for kk, vv := range t {
						c[kk] = vv
					}
					c[k] = nv
					return set(c)
				})
			}
			extra := map[string]any{"zz_unknown": json.Number("1")}
			for kk, vv := range t {
				extra[kk] = vv
			}
			out = append(out, set(extra))
		case []any:
			for i := range t {
				i := i
				walk(t[i], func(nv any) any {
					c := append([]any(nil), t...)
					c[i] = nv
					return set(c)
				})
			}
			if len(t) > 0 {
				out = append(out, set(append(append([]any(nil), t...), t[0])))
			}
		}
	}
	walk(v, func(nv any) any { return nv })
	return out
}

func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

const smallBase = `{"version":{"major":4,"minor":1},"protocols":{
 "p":{"communication":[{"btle":{"names":["P*"],"manufacturer_data":[{"company":7,"data":[1,2]}],"advertised_services":["0000eea0-0000-1000-8000-00805f9b34fb"],
        "services":{"0000eea0-0000-1000-8000-00805f9b34fb":{"tx":"0000ee01-0000-1000-8000-00805f9b34fb"}}}},
      {"serial":{"port":"COM1","baud_rate":9600,"data_bits":8,"stop_bits":1,"parity":"N"}},
      {"hid":{"pairs":[{"vendor_id":1,"product_id":2}]}},{"websocket":{"name":"w"}},{"xinput":{"exists":true}}],
  "defaults":{"name":"P Device","id":"5d434198-4697-4b00-985e-33788fc955d1","protocol_variant":"v","message_gap_ms":20,
   "features":[{"index":0,"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","description":"d","feature_settings":{"alt_protocol_index":2},
     "output":{"vibrate":{"value":[0,20]},"hw_position_with_duration":{"value":[0,100],"duration":[0,1000]}},
     "input":{"battery":{"value":[[0,100]],"command":["Read"]}}}]},
  "configurations":[{"identifier":["A"],"name":"P A","id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c"}]}}}`

// TestErrorCorpus loads thousands of one-change variants of a small base
// configuration and of user configurations, and compares what each gives
// (the error text, or what loaded) with the text the hand-walked loader
// gave.
func TestErrorCorpus(t *testing.T) {
	var w bytes.Buffer
	record := func(kind string, doc any, load func([]byte) (*config.DB, error)) {
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		db, err := load(data)
		var ce *config.Error
		switch {
		case err == nil:
			fmt.Fprintf(&w, "%s %s\n  ok %d protocols %d definitions\n", kind, data, len(db.Protocols()), len(db.Definitions()))
		case !errors.As(err, &ce) || !errors.Is(err, config.ErrInvalid):
			t.Errorf("%s: error %v is not a *config.Error", data, err)
		default:
			fmt.Fprintf(&w, "%s %s\n  %v\n", kind, data, err)
		}
	}
	for _, m := range mutations(decodeAny(t, []byte(smallBase))) {
		record("base", m, func(b []byte) (*config.DB, error) {
			return config.Load(&config.Source{Name: "base.json", Data: b}, nil)
		})
	}
	users := []string{`{"version":{"major":4,"minor":0},"user_configs":{"devices":[` + strings.Replace(goodDevice, "%s", `,"output":{"vibrate":{"value":[1,9],"disabled":false}}`, 1) + `]}}`}
	for _, n := range []string{"tcode_disabled_hw_position_user_config.json", "tcode_linear_and_vibrate_user_config.json", "lovense_ridge_user_config.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "device-tests", "config", n))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, string(b))
	}
	for _, u := range users {
		for _, m := range mutations(decodeAny(t, []byte(u))) {
			record("user", m, func(b []byte) (*config.DB, error) {
				return config.Load(nil, &config.Source{Name: "user.json", Data: b})
			})
		}
	}
	checkDigest(t, "errors", w.Bytes())
}
