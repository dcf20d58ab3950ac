package config

import (
	_ "embed"
	"fmt"
	"math"
	"os"
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

func parseVersion(o obj) (Version, error) {
	vn, err := o.need("version")
	if err != nil {
		return Version{}, err
	}
	vo, err := vn.object("major", "minor")
	if err != nil {
		return Version{}, err
	}
	var v Version
	mj, err := vo.need("major")
	if err != nil {
		return v, err
	}
	if v.Major, err = mj.u32(); err != nil {
		return v, err
	}
	if mn, ok := vo.get("minor"); ok {
		if v.Minor, err = mn.u32(); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (db *DB) loadBase(src *Source) error {
	root, err := parseDoc(src.Name, src.Data, false)
	if err != nil {
		return err
	}
	ro, err := root.object("version", "protocols")
	if err != nil {
		return err
	}
	if db.version, err = parseVersion(ro); err != nil {
		return err
	}
	if db.version.Major != 4 {
		vn, _ := ro.get("version")
		return vn.key("major").errf("major version %d is not supported (this build reads version 4 device configurations)", db.version.Major)
	}
	pn, ok := ro.get("protocols")
	if !ok {
		return nil
	}
	po, err := pn.object()
	if err != nil {
		return err
	}
	for _, name := range po.keys() {
		pnode, _ := po.get(name)
		p, err := parseProtocol(pnode, name, false)
		if err != nil {
			return err
		}
		db.addProtocol(p, false)
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

func parseProtocol(n node, name string, user bool) (*parsedProtocol, error) {
	allowed := []string{"communication", "defaults", "configurations"}
	if user {
		allowed = []string{"communication", "configurations"}
	}
	o, err := n.object(allowed...)
	if err != nil {
		return nil, err
	}
	p := &parsedProtocol{name: name}
	if cn, ok := o.get("communication"); ok {
		items, err := cn.array()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			s, err := parseSpecifier(it)
			if err != nil {
				return nil, err
			}
			p.communication = append(p.communication, s)
		}
	}
	if dn, ok := o.get("defaults"); ok {
		d, err := parseBaseDefinition(dn, name, nil, true)
		if err != nil {
			return nil, err
		}
		p.defaults = d
	}
	if cn, ok := o.get("configurations"); ok {
		items, err := cn.array()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			d, err := parseBaseDefinition(it, name, p.defaults, false)
			if err != nil {
				return nil, err
			}
			p.configurations = append(p.configurations, d)
		}
	}
	return p, nil
}

func parseSpecifier(n node) (Specifier, error) {
	o, err := n.object("btle", "serial", "hid", "usb", "websocket", "xinput", "lovense_connect_service")
	if err != nil {
		return Specifier{}, err
	}
	keys := o.keys()
	if len(keys) != 1 {
		return Specifier{}, n.errf("expected exactly one bus (btle, serial, hid, usb, websocket, xinput, lovense_connect_service), got %d", len(keys))
	}
	k := keys[0]
	c, _ := o.get(k)
	var s Specifier
	switch k {
	case "btle":
		s.BLE, err = parseBLE(c)
	case "serial":
		s.Serial, err = parseSerial(c)
	case "hid":
		s.HID, err = parseIDs(c)
	case "usb":
		s.USB, err = parseIDs(c)
	case "websocket":
		var wo obj
		if wo, err = c.object("name"); err == nil {
			var nn node
			if nn, err = wo.need("name"); err == nil {
				var name string
				if name, err = nn.str(); err == nil {
					s.Websocket = &WebsocketSpecifier{Name: name}
				}
			}
		}
	case "xinput":
		_, err = c.object("exists")
		s.XInput = true
	case "lovense_connect_service":
		_, err = c.object("exists")
		s.LovenseConnect = true
	default:
		err = c.errf("unknown bus %q", k)
	}
	return s, err
}

func parseBLE(n node) (*BLESpecifier, error) {
	o, err := n.object("names", "manufacturer_data", "advertised_services", "services")
	if err != nil {
		return nil, err
	}
	b := &BLESpecifier{Services: comm.ServiceMap{}}
	nn, err := o.need("names")
	if err != nil {
		return nil, err
	}
	if b.Names, err = nn.strings(); err != nil {
		return nil, err
	}
	if mn, ok := o.get("manufacturer_data"); ok {
		items, err := mn.array()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			mo, err := it.object("company", "data", "expected_length")
			if err != nil {
				return nil, err
			}
			cn, err := mo.need("company")
			if err != nil {
				return nil, err
			}
			company, err := cn.integer(0, math.MaxUint16)
			if err != nil {
				return nil, err
			}
			md := ManufacturerData{Company: uint16(company)}
			if dn, ok := mo.get("data"); ok {
				bytesN, err := dn.array()
				if err != nil {
					return nil, err
				}
				md.Data = []byte{}
				for _, bn := range bytesN {
					v, err := bn.integer(0, 255)
					if err != nil {
						return nil, err
					}
					md.Data = append(md.Data, byte(v))
				}
			}
			b.ManufacturerData = append(b.ManufacturerData, md)
		}
	}
	if an, ok := o.get("advertised_services"); ok {
		items, err := an.array()
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			u, err := it.uuid()
			if err != nil {
				return nil, err
			}
			b.AdvertisedServices = append(b.AdvertisedServices, u)
		}
	}
	if sn, ok := o.get("services"); ok {
		so, err := sn.object()
		if err != nil {
			return nil, err
		}
		for _, svc := range so.keys() {
			en, _ := so.get(svc)
			if !uuidRe.MatchString(svc) {
				return nil, en.errf("service key %q is not a UUID", svc)
			}
			eo, err := en.object()
			if err != nil {
				return nil, err
			}
			eps := map[comm.Endpoint]string{}
			for _, ep := range eo.keys() {
				cn, _ := eo.get(ep)
				if !comm.ValidEndpoint(ep) {
					return nil, cn.errf("unknown endpoint %q", ep)
				}
				u, err := cn.uuid()
				if err != nil {
					return nil, err
				}
				eps[comm.Endpoint(ep)] = u
			}
			b.Services[toLower(svc)] = eps
		}
	}
	return b, nil
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func parseSerial(n node) (*SerialSpecifier, error) {
	o, err := n.object("port", "baud_rate", "data_bits", "parity", "stop_bits")
	if err != nil {
		return nil, err
	}
	s := &SerialSpecifier{}
	pn, err := o.need("port")
	if err != nil {
		return nil, err
	}
	if s.Port, err = pn.str(); err != nil {
		return nil, err
	}
	if bn, ok := o.get("baud_rate"); ok {
		if s.BaudRate, err = bn.u32(); err != nil {
			return nil, err
		}
	}
	if dn, ok := o.get("data_bits"); ok {
		v, err := dn.integer(0, 255)
		if err != nil {
			return nil, err
		}
		s.DataBits = uint8(v)
	}
	if sn, ok := o.get("stop_bits"); ok {
		v, err := sn.integer(0, 255)
		if err != nil {
			return nil, err
		}
		s.StopBits = uint8(v)
	}
	if pn, ok := o.get("parity"); ok {
		if s.Parity, err = pn.str(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func parseIDs(n node) (*IDSpecifier, error) {
	o, err := n.object("pairs")
	if err != nil {
		return nil, err
	}
	pn, err := o.need("pairs")
	if err != nil {
		return nil, err
	}
	items, err := pn.array()
	if err != nil {
		return nil, err
	}
	s := &IDSpecifier{}
	for _, it := range items {
		io, err := it.object("vendor_id", "product_id")
		if err != nil {
			return nil, err
		}
		vn, err := io.need("vendor_id")
		if err != nil {
			return nil, err
		}
		vid, err := vn.integer(0, math.MaxUint16)
		if err != nil {
			return nil, err
		}
		prn, err := io.need("product_id")
		if err != nil {
			return nil, err
		}
		pid, err := prn.integer(0, math.MaxUint16)
		if err != nil {
			return nil, err
		}
		s.Pairs = append(s.Pairs, VIDPID{VendorID: uint16(vid), ProductID: uint16(pid)})
	}
	return s, nil
}

// parseBaseDefinition reads a defaults or configurations entry. A
// configuration inherits the defaults' features, variant and gap when it has
// none of its own.
func parseBaseDefinition(n node, proto string, defaults *Definition, isDefault bool) (*Definition, error) {
	o, err := n.object("identifier", "name", "id", "protocol_variant", "message_gap_ms", "features")
	if err != nil {
		return nil, err
	}
	d := &Definition{Protocol: proto}
	if defaults != nil {
		inherited := defaults.Clone()
		d.Features = inherited.Features
		d.ProtocolVariant = inherited.ProtocolVariant
		d.MessageGap = inherited.MessageGap
	}
	if in, ok := o.get("identifier"); ok {
		if isDefault {
			return nil, in.errf("protocol defaults cannot have identifiers")
		}
		if d.Identifiers, err = in.strings(); err != nil {
			return nil, err
		}
		if len(d.Identifiers) == 0 {
			return nil, in.errf("expected at least one identifier")
		}
	} else if !isDefault {
		return nil, o.n.errf("missing required field %q", "identifier")
	}
	nn, err := o.need("name")
	if err != nil {
		return nil, err
	}
	if d.Name, err = nn.str(); err != nil {
		return nil, err
	}
	idn, err := o.need("id")
	if err != nil {
		return nil, err
	}
	if d.ID, err = idn.uuid(); err != nil {
		return nil, err
	}
	if vn, ok := o.get("protocol_variant"); ok {
		if d.ProtocolVariant, err = vn.str(); err != nil {
			return nil, err
		}
	}
	if gn, ok := o.get("message_gap_ms"); ok {
		g, err := gn.u32()
		if err != nil {
			return nil, err
		}
		gap := time.Duration(g) * time.Millisecond
		d.MessageGap = &gap
	}
	if fn, ok := o.get("features"); ok {
		items, err := fn.array()
		if err != nil {
			return nil, err
		}
		d.Features = d.Features[:0]
		seen := map[uint32]bool{}
		for _, it := range items {
			f, err := parseBaseFeature(it)
			if err != nil {
				return nil, err
			}
			if seen[f.Index] {
				return nil, it.key("index").errf("feature index %d is used twice", f.Index)
			}
			seen[f.Index] = true
			d.Features = append(d.Features, f)
		}
		sort.SliceStable(d.Features, func(i, j int) bool { return d.Features[i].Index < d.Features[j].Index })
	} else if isDefault {
		return nil, o.n.errf("missing required field %q", "features")
	}
	return d, nil
}

func parseBaseFeature(n node) (Feature, error) {
	o, err := n.object("index", "description", "id", "output", "input", "feature_settings")
	if err != nil {
		return Feature{}, err
	}
	var f Feature
	in, err := o.need("index")
	if err != nil {
		return f, err
	}
	if f.Index, err = in.u32(); err != nil {
		return f, err
	}
	if dn, ok := o.get("description"); ok {
		if f.Description, err = dn.str(); err != nil {
			return f, err
		}
	}
	idn, err := o.need("id")
	if err != nil {
		return f, err
	}
	if f.ID, err = idn.uuid(); err != nil {
		return f, err
	}
	if sn, ok := o.get("feature_settings"); ok {
		so, err := sn.object("alt_protocol_index")
		if err != nil {
			return f, err
		}
		if an, ok := so.get("alt_protocol_index"); ok {
			a, err := an.u32()
			if err != nil {
				return f, err
			}
			f.AltProtocolIndex = &a
		}
	}
	if on, ok := o.get("output"); ok {
		oo, err := on.object()
		if err != nil {
			return f, err
		}
		for _, k := range oo.keys() {
			tn, _ := oo.get(k)
			t, ok := configOutputNames[k]
			if !ok {
				return f, tn.errf("unknown output type %q", k)
			}
			out, err := parseBaseOutput(tn, t)
			if err != nil {
				return f, err
			}
			f.Outputs = append(f.Outputs, out)
		}
		sort.SliceStable(f.Outputs, func(i, j int) bool { return outputRank(f.Outputs[i].Type) < outputRank(f.Outputs[j].Type) })
	}
	if inn, ok := o.get("input"); ok {
		io, err := inn.object()
		if err != nil {
			return f, err
		}
		for _, k := range io.keys() {
			tn, _ := io.get(k)
			t, ok := configInputNames[k]
			if !ok {
				return f, tn.errf("unknown input type %q", k)
			}
			input, err := parseInput(tn, t)
			if err != nil {
				return f, err
			}
			f.Inputs = append(f.Inputs, input)
		}
	}
	return f, nil
}

func parseBaseOutput(n node, t protocol.OutputType) (Output, error) {
	allowed := []string{"value"}
	if t == protocol.OutputHwPositionWithDuration {
		allowed = []string{"value", "duration"}
	}
	o, err := n.object(allowed...)
	if err != nil {
		return Output{}, err
	}
	out := Output{Type: t}
	vn, err := o.need("value")
	if err != nil {
		return out, err
	}
	r, err := vn.pair(math.MinInt32, math.MaxInt32)
	if err != nil {
		return out, err
	}
	if r[1] <= 0 {
		return out, vn.errf("range [%d, %d] has no positive steps", r[0], r[1])
	}
	out.Value = protocol.Range(r)
	if t == protocol.OutputHwPositionWithDuration {
		dn, err := o.need("duration")
		if err != nil {
			return out, err
		}
		dr, err := dn.pair(0, math.MaxInt32)
		if err != nil {
			return out, err
		}
		d := protocol.Range(dr)
		out.Duration = &d
	}
	return out, nil
}

func parseInput(n node, t protocol.InputType) (Input, error) {
	o, err := n.object("value", "command")
	if err != nil {
		return Input{}, err
	}
	in := Input{Type: t}
	vn, err := o.need("value")
	if err != nil {
		return in, err
	}
	items, err := vn.array()
	if err != nil {
		return in, err
	}
	if len(items) == 0 {
		return in, vn.errf("expected at least one [min, max] range")
	}
	for _, it := range items {
		r, err := it.pair(math.MinInt32, math.MaxInt32)
		if err != nil {
			return in, err
		}
		in.Value = append(in.Value, protocol.Range(r))
	}
	cn, err := o.need("command")
	if err != nil {
		return in, err
	}
	cmds, err := cn.array()
	if err != nil {
		return in, err
	}
	for _, c := range cmds {
		s, err := c.str()
		if err != nil {
			return in, err
		}
		ct := protocol.InputCommandType(s)
		if ct != protocol.InputCommandRead && ct != protocol.InputCommandSubscribe {
			return in, c.errf("unknown input command %q (expected Read or Subscribe)", s)
		}
		in.Commands = append(in.Commands, ct)
	}
	return in, nil
}
