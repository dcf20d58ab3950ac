package wsdevice_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/comm/wsdevice"
)

func TestParseIdentify(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want wsdevice.Identify
		err  string // "" for none
	}{
		{`{"identifier":"LVSDevice","address":"A1","version":0}`, wsdevice.Identify{Identifier: "LVSDevice", Address: "A1"}, ""},
		{` {"identifier":"X","address":"","version":2} `, wsdevice.Identify{Identifier: "X", Version: 2}, ""},
		{`{"identifier":"X","address":"A","extra":[1,2]}`, wsdevice.Identify{Identifier: "X", Address: "A"}, ""},
		{`{"identifier":"X","address":"A"}`, wsdevice.Identify{Identifier: "X", Address: "A"}, ""},
		{`{"identifier":"X"}`, wsdevice.Identify{}, "no address"},
		{`{"address":"A"}`, wsdevice.Identify{}, "no identifier"},
		{`{"identifier":"","address":"A"}`, wsdevice.Identify{}, "empty identifier"},
		{`{"identifier":7,"address":"A"}`, wsdevice.Identify{}, "cannot unmarshal"},
		{`{"identifier":"X","address":"A","version":-1}`, wsdevice.Identify{}, "cannot unmarshal"},
		{`{"identifier":"X","address":"A"} {}`, wsdevice.Identify{}, "data after"},
		{`null`, wsdevice.Identify{}, "no identifier"},
		{`[]`, wsdevice.Identify{}, "cannot unmarshal"},
		{``, wsdevice.Identify{}, "EOF"},
		{"{\"identifier\":\"\xff\",\"address\":\"A\"}", wsdevice.Identify{}, "not UTF-8"},
		{`{"identifier":"` + strings.Repeat("x", 5000) + `","address":"A"}`, wsdevice.Identify{}, "at most"},
	} {
		got, err := wsdevice.ParseIdentify([]byte(tt.in))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.err != "" && (err == nil || !errors.Is(err, wsdevice.ErrIdentify) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want ErrIdentify saying %q", tt.in, err, tt.err)
		case tt.err == "" && got != tt.want:
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// Whatever a device sends, ParseIdentify either refuses it with
// ErrIdentify or returns an identify frame that says the same again.
func FuzzParseIdentify(f *testing.F) {
	for _, s := range []string{
		`{"identifier":"LVSDevice","address":"A1","version":0}`,
		`{"identifier":"X","address":""}`,
		`{"identifier":7}`, `null`, `[]`, `{"identifier":"X","address":"A"} x`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := wsdevice.ParseIdentify(b)
		if err != nil {
			if !errors.Is(err, wsdevice.ErrIdentify) {
				t.Fatalf("error %v does not wrap ErrIdentify", err)
			}
			return
		}
		if id.Identifier == "" {
			t.Fatal("accepted an empty identifier")
		}
		again, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		back, err := wsdevice.ParseIdentify(again)
		if err != nil || back != id {
			t.Fatalf("%+v re-encoded as %s parses as %+v, %v", id, again, back, err)
		}
	})
}
