package config

import (
	_ "embed"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

//go:embed buttplug-device-config-v4.json
var builtinConfig []byte

// BuiltinName is the file name errors use for the embedded configuration.
const BuiltinName = "built-in buttplug-device-config-v4.json"

// BuiltinJSON returns a copy of the embedded official device configuration.
func BuiltinJSON() []byte { return append([]byte(nil), builtinConfig...) }

// Source is the content of one configuration file and the name errors use
// for it.
type Source struct {
	Name string
	Data []byte
}

// Default loads the embedded official device configuration.
func Default() (*DB, error) { return Load(nil, nil) }

// Load builds a DB from a base configuration (nil: the embedded one) and an
// optional user configuration. Malformed files give an *Error naming the
// file, the JSON path and what is wrong. A file whose major version differs
// from the base's is refused.
func Load(base, user *Source) (*DB, error) {
	var db *DB
	if base == nil {
		b, err := builtin()
		if err != nil {
			return nil, err
		}
		db = b.copy()
	} else {
		db = newDB()
		if err := db.loadBase(base); err != nil {
			return nil, err
		}
	}
	if user != nil {
		if err := db.loadUser(user); err != nil {
			return nil, err
		}
	}
	return db, nil
}

var (
	builtinOnce sync.Once
	builtinDB   *DB
	builtinErr  error
)

// builtin parses the embedded configuration once; every Load copies it.
func builtin() (*DB, error) {
	builtinOnce.Do(func() {
		builtinDB = newDB()
		builtinErr = builtinDB.loadBase(&Source{Name: BuiltinName, Data: builtinConfig})
	})
	return builtinDB, builtinErr
}

// copy returns a DB sharing d's parsed definitions, which are never
// modified after loading, with maps of its own.
func (db *DB) copy() *DB {
	db.mu.Lock()
	defer db.mu.Unlock()
	c := newDB()
	c.version = db.version
	for k, v := range db.comm {
		c.comm[k] = append([]Specifier(nil), v...)
	}
	for k, v := range db.userComm {
		c.userComm[k] = append([]Specifier(nil), v...)
	}
	for k, v := range db.defs {
		c.defs[k] = v
	}
	for k, v := range db.users {
		c.users[k] = v.Clone()
	}
	return c
}

// LoadFiles is Load with files read from disk; an empty path means the
// embedded base or no user configuration.
func LoadFiles(basePath, userPath string) (*DB, error) {
	var base, user *Source
	if basePath != "" {
		b, err := os.ReadFile(basePath)
		if err != nil {
			return nil, fmt.Errorf("read device config: %w", err)
		}
		base = &Source{Name: basePath, Data: b}
	}
	if userPath != "" {
		b, err := os.ReadFile(userPath)
		if err != nil {
			return nil, fmt.Errorf("read user device config: %w", err)
		}
		user = &Source{Name: userPath, Data: b}
	}
	return Load(base, user)
}

// version checks the version member of a file's root object.
func (f *file) version(v *versionJSON) (Version, error) {
	if err := f.fields("$.version", v, "major!", "minor"); err != nil {
		return Version{}, err
	}
	out := Version{Major: uint32(*v.Major)}
	if v.Minor != nil {
		out.Minor = uint32(*v.Minor)
	}
	return out, nil
}

func (db *DB) loadBase(src *Source) error {
	f := &file{name: src.Name}
	var doc baseFileJSON
	if err := f.decode(src.Data, &doc); err != nil {
		return err
	}
	if err := f.fields("$", &doc, "version!", "protocols"); err != nil {
		return err
	}
	var err error
	if db.version, err = f.version(doc.Version); err != nil {
		return err
	}
	if db.version.Major != 4 {
		return f.errf("$.version.major", "major version %d is not supported (this build reads version 4 device configurations)", db.version.Major)
	}
	return f.protocols(db, path("$").key("protocols"), doc.Protocols, false)
}

// protocols adds the protocols of a file's protocols object to db, in
// name order.
func (f *file) protocols(db *DB, at path, protocols map[string]*protocolJSON, user bool) error {
	for _, name := range sortedKeys(protocols) {
		p, err := f.protocol(at.key(name), protocols[name], name, user)
		if err != nil {
			return err
		}
		db.addProtocol(p, user)
	}
	return nil
}

// parsedProtocol is one protocols.<name> entry.
type parsedProtocol struct {
	name           string
	communication  []Specifier
	defaults       *Definition
	configurations []*Definition
}

func (f *file) protocol(at path, pj *protocolJSON, name string, user bool) (*parsedProtocol, error) {
	allowed := []string{"communication", "defaults", "configurations"}
	if user {
		allowed = []string{"communication", "configurations"}
	}
	if err := f.fields(at, pj, allowed...); err != nil {
		return nil, err
	}
	p := &parsedProtocol{name: name}
	for i, sj := range pj.Communication {
		s, err := f.specifier(at.key("communication").index(i), sj)
		if err != nil {
			return nil, err
		}
		p.communication = append(p.communication, s)
	}
	if pj.Defaults != nil {
		d, err := f.definition(at.key("defaults"), pj.Defaults, name, nil, true)
		if err != nil {
			return nil, err
		}
		p.defaults = d
	}
	for i, dj := range pj.Configurations {
		d, err := f.definition(at.key("configurations").index(i), dj, name, p.defaults, false)
		if err != nil {
			return nil, err
		}
		p.configurations = append(p.configurations, d)
	}
	return p, nil
}

// busNames are the members of a specifier, in the order errors list them.
var busNames = []string{"btle", "serial", "hid", "usb", "websocket", "xinput", "lovense_connect_service"}

func (f *file) specifier(at path, sj *specifierJSON) (Specifier, error) {
	var s Specifier
	if err := f.fields(at, sj, busNames...); err != nil {
		return s, err
	}
	set := map[string]bool{"btle": sj.BLE.set, "serial": sj.Serial.set, "hid": sj.HID.set, "usb": sj.USB.set,
		"websocket": sj.Websocket.set, "xinput": sj.XInput.set, "lovense_connect_service": sj.LovenseConnect.set}
	var buses []string
	for k := range sj.Unknown {
		buses = append(buses, k)
	}
	for _, k := range busNames {
		if set[k] {
			buses = append(buses, k)
		}
	}
	if len(buses) != 1 {
		return s, f.errf(at, "expected exactly one bus (btle, serial, hid, usb, websocket, xinput, lovense_connect_service), got %d", len(buses))
	}
	k := buses[0]
	at = at.key(k)
	if !set[k] {
		return s, f.errf(at, "unknown bus %q", k)
	}
	var err error
	switch k {
	case "btle":
		s.BLE, err = f.ble(at, sj.BLE.v)
	case "serial":
		s.Serial, err = f.serial(at, sj.Serial.v)
	case "hid":
		s.HID, err = f.ids(at, sj.HID.v)
	case "usb":
		s.USB, err = f.ids(at, sj.USB.v)
	case "websocket":
		if err = f.fields(at, sj.Websocket.v, "name!"); err == nil {
			s.Websocket = &WebsocketSpecifier{Name: *sj.Websocket.v.Name}
		}
	case "xinput":
		err = f.fields(at, sj.XInput.v, "exists")
		s.XInput = true
	case "lovense_connect_service":
		err = f.fields(at, sj.LovenseConnect.v, "exists")
		s.LovenseConnect = true
	}
	return s, err
}

func (f *file) ble(at path, bj *bleJSON) (*BLESpecifier, error) {
	if err := f.fields(at, bj, "names!", "manufacturer_data", "advertised_services", "services"); err != nil {
		return nil, err
	}
	b := &BLESpecifier{Services: comm.ServiceMap{}, Names: strs(bj.Names), AdvertisedServices: strs(bj.AdvertisedServices)}
	for i, mj := range bj.ManufacturerData {
		mp := at.key("manufacturer_data").index(i)
		if err := f.fields(mp, mj, "company!", "data", "expected_length"); err != nil {
			return nil, err
		}
		md := ManufacturerData{Company: uint16(*mj.Company)}
		if mj.Data != nil {
			md.Data = make([]byte, len(mj.Data))
			for j, v := range mj.Data {
				md.Data[j] = byte(v)
			}
		}
		b.ManufacturerData = append(b.ManufacturerData, md)
	}
	for _, svc := range sortedKeys(bj.Services) {
		eps := bj.Services[svc]
		if eps == nil {
			return nil, f.errf(at.key("services").key(string(svc)), "expected an object, got null")
		}
		m := make(map[comm.Endpoint]string, len(eps))
		for ep, u := range eps {
			m[comm.Endpoint(ep)] = string(u)
		}
		b.Services[string(svc)] = m
	}
	return b, nil
}

func (f *file) serial(at path, sj *serialJSON) (*SerialSpecifier, error) {
	if err := f.fields(at, sj, "port!", "baud_rate", "data_bits", "parity", "stop_bits"); err != nil {
		return nil, err
	}
	s := &SerialSpecifier{Port: *sj.Port}
	if sj.BaudRate != nil {
		s.BaudRate = uint32(*sj.BaudRate)
	}
	if sj.DataBits != nil {
		s.DataBits = uint8(*sj.DataBits)
	}
	if sj.StopBits != nil {
		s.StopBits = uint8(*sj.StopBits)
	}
	if sj.Parity != nil {
		s.Parity = *sj.Parity
	}
	return s, nil
}

func (f *file) ids(at path, ij *idsJSON) (*IDSpecifier, error) {
	if err := f.fields(at, ij, "pairs!"); err != nil {
		return nil, err
	}
	s := &IDSpecifier{}
	for i, pj := range ij.Pairs {
		pp := at.key("pairs").index(i)
		if err := f.fields(pp, pj, "vendor_id!", "product_id!"); err != nil {
			return nil, err
		}
		s.Pairs = append(s.Pairs, VIDPID{VendorID: uint16(*pj.VendorID), ProductID: uint16(*pj.ProductID)})
	}
	return s, nil
}

// definition reads a defaults or configurations entry. A configuration
// inherits the defaults' features, variant and gap when it has none of its
// own.
func (f *file) definition(at path, dj *definitionJSON, proto string, defaults *Definition, isDefault bool) (*Definition, error) {
	// Defaults have features and no identifiers; configurations have
	// identifiers, and the defaults' features unless they list their own.
	identifier, features := "identifier!", "features"
	if isDefault {
		identifier, features = "identifier", "features!"
	}
	if err := f.fields(at, dj, identifier, "name!", "id!", "protocol_variant", "message_gap_ms", features); err != nil {
		return nil, err
	}
	d := &Definition{Protocol: proto}
	if defaults != nil {
		inherited := defaults.Clone()
		d.Features = inherited.Features
		d.ProtocolVariant = inherited.ProtocolVariant
		d.MessageGap = inherited.MessageGap
	}
	switch {
	case dj.Identifier != nil && isDefault:
		return nil, f.errf(at.key("identifier"), "protocol defaults cannot have identifiers")
	case dj.Identifier != nil && len(dj.Identifier) == 0:
		return nil, f.errf(at.key("identifier"), "expected at least one identifier")
	}
	d.Identifiers = strs(dj.Identifier)
	d.Name, d.ID = *dj.Name, string(*dj.ID)
	if dj.ProtocolVariant != nil {
		d.ProtocolVariant = *dj.ProtocolVariant
	}
	if dj.MessageGapMs != nil {
		d.MessageGap = gap(*dj.MessageGapMs)
	}
	if dj.Features == nil {
		return d, nil
	}
	d.Features = d.Features[:0]
	seen := map[uint32]bool{}
	for i, fj := range dj.Features {
		fp := at.key("features").index(i)
		feat, err := f.feature(fp, fj)
		if err != nil {
			return nil, err
		}
		if seen[feat.Index] {
			return nil, f.errf(fp.key("index"), "feature index %d is used twice", feat.Index)
		}
		seen[feat.Index] = true
		d.Features = append(d.Features, feat)
	}
	sortFeatures(d.Features)
	return d, nil
}

func gap(ms u32) *time.Duration {
	g := time.Duration(ms) * time.Millisecond
	return &g
}

func sortFeatures(fs []Feature) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Index < fs[j].Index })
}

func (f *file) feature(at path, fj *featureJSON) (Feature, error) {
	var feat Feature
	if err := f.fields(at, fj, "index!", "description", "id!", "output", "input", "feature_settings"); err != nil {
		return feat, err
	}
	feat.Index, feat.ID = uint32(*fj.Index), string(*fj.ID)
	if fj.Description != nil {
		feat.Description = *fj.Description
	}
	if s := fj.FeatureSettings; s != nil {
		if err := f.fields(at.key("feature_settings"), s, "alt_protocol_index"); err != nil {
			return feat, err
		}
		if s.AltProtocolIndex != nil {
			a := uint32(*s.AltProtocolIndex)
			feat.AltProtocolIndex = &a
		}
	}
	for _, k := range sortedKeys(fj.Output) {
		out, err := f.output(at.key("output").key(string(k)), fj.Output[k], configOutputNames[string(k)])
		if err != nil {
			return feat, err
		}
		feat.Outputs = append(feat.Outputs, out)
	}
	sort.SliceStable(feat.Outputs, func(i, j int) bool { return outputRank(feat.Outputs[i].Type) < outputRank(feat.Outputs[j].Type) })
	for _, k := range sortedKeys(fj.Input) {
		in, err := f.input(at.key("input").key(string(k)), fj.Input[k], configInputNames[string(k)])
		if err != nil {
			return feat, err
		}
		feat.Inputs = append(feat.Inputs, in)
	}
	return feat, nil
}

func (f *file) output(at path, oj *outputJSON, t protocol.OutputType) (Output, error) {
	out := Output{Type: t}
	allowed := []string{"value!"}
	if t == protocol.OutputHwPositionWithDuration {
		allowed = []string{"value!", "duration!"}
	}
	if err := f.fields(at, oj, allowed...); err != nil {
		return out, err
	}
	r, err := f.rangeOf(at.key("value"), oj.Value, math.MinInt32)
	if err != nil {
		return out, err
	}
	if r[1] <= 0 {
		return out, f.errf(at.key("value"), "range [%d, %d] has no positive steps", r[0], r[1])
	}
	out.Value = r
	if t == protocol.OutputHwPositionWithDuration {
		d, err := f.rangeOf(at.key("duration"), oj.Duration, 0)
		if err != nil {
			return out, err
		}
		out.Duration = &d
	}
	return out, nil
}

func (f *file) input(at path, ij *inputJSON, t protocol.InputType) (Input, error) {
	in := Input{Type: t}
	if err := f.fields(at, ij, "value!", "command!"); err != nil {
		return in, err
	}
	if len(ij.Value) == 0 {
		return in, f.errf(at.key("value"), "expected at least one [min, max] range")
	}
	for i, pj := range ij.Value {
		r, err := f.rangeOf(at.key("value").index(i), pj, math.MinInt32)
		if err != nil {
			return in, err
		}
		in.Value = append(in.Value, r)
	}
	in.Commands = make([]protocol.InputCommandType, len(ij.Command))
	for i, c := range ij.Command {
		in.Commands[i] = protocol.InputCommandType(c)
	}
	return in, nil
}

// rangeOf checks a [min, max] pair with lo <= min <= max <= MaxInt32.
func (f *file) rangeOf(at path, p pair, lo int64) (protocol.Range, error) {
	if p == nil {
		return protocol.Range{}, f.errf(at, "expected an array, got null")
	}
	if len(p) != 2 {
		return protocol.Range{}, f.errf(at, "expected a [min, max] pair, got %d elements", len(p))
	}
	for i, v := range p {
		if int64(v) < lo || int64(v) > math.MaxInt32 {
			return protocol.Range{}, f.errf(at.index(i), "value %d is out of range [%d, %d]", v, lo, math.MaxInt32)
		}
	}
	if p[0] > p[1] {
		return protocol.Range{}, f.errf(at, "range [%d, %d] has its minimum above its maximum", p[0], p[1])
	}
	return protocol.Range{int32(p[0]), int32(p[1])}, nil
}

func sortedKeys[K ~string, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }

func strs[T ~string](in []T) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}
