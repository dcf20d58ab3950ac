package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/protocol"
)

var updateDigest = flag.Bool("update-digest", false, "rewrite testdata/*.digest from the code under test")

// writeDefinition renders every field of d that comes from a configuration
// file, dereferencing pointers, so two loaders can be compared as text.
func writeDefinition(w *bytes.Buffer, d *config.Definition) {
	fmt.Fprintf(w, "def %s %q ids=%q id=%s base=%s name=%q display=%q variant=%q", d.Protocol, d.Name, d.Identifiers, d.ID, d.BaseID, d.Name, d.DisplayName, d.ProtocolVariant)
	if d.MessageGap != nil {
		fmt.Fprintf(w, " gap=%v", *d.MessageGap)
	}
	fmt.Fprintf(w, " index=%d allow=%t deny=%t\n", d.Index, d.Allow, d.Deny)
	for _, f := range d.Features {
		fmt.Fprintf(w, "  feature %d %q id=%s base=%s", f.Index, f.Description, f.ID, f.BaseID)
		if f.AltProtocolIndex != nil {
			fmt.Fprintf(w, " alt=%d", *f.AltProtocolIndex)
		}
		w.WriteString("\n")
		for _, o := range f.Outputs {
			fmt.Fprintf(w, "    output %s value=%v steps=%v", o.Type, o.Value, o.Steps())
			writeRange(w, "limit", o.Limit)
			writeRange(w, "duration", o.Duration)
			writeRange(w, "durationlimit", o.DurationLimit)
			fmt.Fprintf(w, " disabled=%t reverse=%t\n", o.Disabled, o.Reverse)
		}
		for _, in := range f.Inputs {
			fmt.Fprintf(w, "    input %s value=%v commands=%v\n", in.Type, in.Value, in.Commands)
		}
	}
}

func writeSpecifier(w *bytes.Buffer, s config.Specifier) {
	fmt.Fprintf(w, "  spec bus=%s", s.Bus())
	switch {
	case s.BLE != nil:
		fmt.Fprintf(w, " names=%q", s.BLE.Names)
		for _, md := range s.BLE.ManufacturerData {
			fmt.Fprintf(w, " md=%d:%v(nil=%t)", md.Company, md.Data, md.Data == nil)
		}
		fmt.Fprintf(w, " adv=%q services=%v", s.BLE.AdvertisedServices, s.BLE.Services)
	case s.Serial != nil:
		fmt.Fprintf(w, " %+v", *s.Serial)
	case s.HID != nil:
		fmt.Fprintf(w, " %+v", *s.HID)
	case s.USB != nil:
		fmt.Fprintf(w, " %+v", *s.USB)
	case s.Websocket != nil:
		fmt.Fprintf(w, " %+v", *s.Websocket)
	}
	fmt.Fprintf(w, " xinput=%t lovense=%t services()=%v\n", s.XInput, s.LovenseConnect, s.Services())
}

func writeRange(w *bytes.Buffer, name string, r *protocol.Range) {
	if r != nil {
		fmt.Fprintf(w, " %s=%v", name, *r)
	}
}

// dbDigest renders a loaded DB: version, protocols with their specifiers
// and merged BLE services, and every model definition.
func dbDigest(db *config.DB) []byte {
	var w bytes.Buffer
	fmt.Fprintf(&w, "version %s\n", db.Version())
	for _, p := range db.Protocols() {
		fmt.Fprintf(&w, "protocol %s bleservices=%v\n", p, db.BLEServices(p))
		for _, s := range db.Communication(p) {
			writeSpecifier(&w, s)
		}
	}
	for _, d := range db.Definitions() {
		writeDefinition(&w, d)
	}
	return w.Bytes()
}

// userDigest renders the user definitions a user configuration holds, found
// by the identifiers the file lists.
func userDigest(t *testing.T, db *config.DB, data []byte) []byte {
	var doc struct {
		UserConfigs struct {
			Devices []struct {
				Identifier struct{ Protocol, Identifier, Address string }
			}
		} `json:"user_configs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	for _, dev := range doc.UserConfigs.Devices {
		id := dev.Identifier
		d, ok := db.UserDefinition(config.UserKey{Protocol: id.Protocol, Identifier: id.Identifier, Address: id.Address})
		if !ok {
			t.Fatalf("no user definition for %+v", id)
		}
		writeDefinition(&w, d)
	}
	// What the file added to the DB: specifiers and model definitions the
	// built-in configuration does not have.
	builtin := mustDefault(t)
	for _, p := range db.Protocols() {
		have := map[string]bool{}
		for _, s := range builtin.Communication(p) {
			var b bytes.Buffer
			writeSpecifier(&b, s)
			have[b.String()] = true
		}
		for _, s := range db.Communication(p) {
			var b bytes.Buffer
			writeSpecifier(&b, s)
			if !have[b.String()] {
				fmt.Fprintf(&w, "user protocol %s\n%s", p, b.String())
			}
		}
	}
	known := map[string]bool{}
	for _, d := range builtin.Definitions() {
		known[d.ID] = true
	}
	for _, d := range db.Definitions() {
		if !known[d.ID] {
			writeDefinition(&w, d)
		}
	}
	return w.Bytes()
}

func checkDigest(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".digest")
	if *updateDigest {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d:\n got  %s\n want %s", path, i+1, g, w)
		}
	}
}

// TestBuiltinDigest compares everything the embedded configuration loads
// into with a digest written by the previous (hand-walked) loader.
func TestBuiltinDigest(t *testing.T) {
	checkDigest(t, "builtin", dbDigest(mustDefault(t)))
}

// TestUserDigest does the same for the user configurations of the device
// test vectors: the merged user definitions and the DB they are part of.
func TestUserDigest(t *testing.T) {
	dir := filepath.Join("..", "testdata", "device-tests", "config")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.Contains(e.Name(), "invalid") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var all bytes.Buffer
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		db, err := config.Load(nil, &config.Source{Name: n, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&all, "file %s\n", n)
		all.Write(userDigest(t, db, data))
	}
	checkDigest(t, "user", all.Bytes())
}
