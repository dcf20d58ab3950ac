// Package config is the device configuration database of the device layer:
// the official Buttplug device configuration (spec v4 format, embedded) plus
// an optional user configuration that adds protocols and devices, renames
// devices, narrows ranges, disables outputs, reserves device indexes and
// keeps allow and deny lists.
//
// The DB answers three questions for the device manager: which protocols
// may drive a device that advertises itself in a given way ([DB.Match]),
// which definition (name, features, ranges) a connected device has once its
// protocol identified it ([DB.Resolve]), and whether a device address may be
// connected at all ([DB.Allowed]).
package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/bphost/bphost/core/device/comm"
)

// ErrUnknownDevice is wrapped by Resolve when no definition fits.
var ErrUnknownDevice = errors.New("no device definition")

// UserKey identifies one physical device in a user configuration.
type UserKey struct {
	Protocol   string
	Identifier string // "" when the protocol gave none
	Address    string
}

type baseKey struct {
	protocol   string
	identifier string // "" for the protocol defaults
}

// DB is a loaded device configuration. It is safe for concurrent use.
type DB struct {
	mu       sync.Mutex
	version  Version
	comm     map[string][]Specifier // base protocols
	userComm map[string][]Specifier // protocols added or extended by the user
	defs     map[baseKey]*Definition
	users    map[UserKey]*Definition
}

func newDB() *DB {
	return &DB{
		comm:     map[string][]Specifier{},
		userComm: map[string][]Specifier{},
		defs:     map[baseKey]*Definition{},
		users:    map[UserKey]*Definition{},
	}
}

func (db *DB) addProtocol(p *parsedProtocol, user bool) {
	if user {
		db.userComm[p.name] = append(db.userComm[p.name], p.communication...)
	} else {
		db.comm[p.name] = append(db.comm[p.name], p.communication...)
	}
	if p.defaults != nil {
		db.defs[baseKey{protocol: p.name}] = p.defaults
	}
	for _, c := range p.configurations {
		for _, id := range c.Identifiers {
			db.defs[baseKey{protocol: p.name, identifier: id}] = c
		}
	}
}

// Version returns the version of the base configuration.
func (db *DB) Version() Version { return db.version }

// Protocols returns the names of every protocol, sorted.
func (db *DB) Protocols() []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	seen := map[string]bool{}
	for n := range db.comm {
		seen[n] = true
	}
	for n := range db.userComm {
		seen[n] = true
	}
	for k := range db.defs {
		seen[k.protocol] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Communication returns the specifiers of a protocol, the user's first.
func (db *DB) Communication(protocolName string) []Specifier {
	db.mu.Lock()
	defer db.mu.Unlock()
	out := append([]Specifier(nil), db.userComm[protocolName]...)
	return append(out, db.comm[protocolName]...)
}

// BLEServices merges the GATT services of every Bluetooth LE specifier of a
// protocol: what a device of it may have, service UUID → endpoint →
// characteristic UUID. It is empty for a protocol without BLE devices.
func (db *DB) BLEServices(protocolName string) comm.ServiceMap {
	out := comm.ServiceMap{}
	for _, s := range db.Communication(protocolName) {
		if s.BLE == nil {
			continue
		}
		for svc, eps := range s.BLE.Services {
			if out[svc] == nil {
				out[svc] = map[comm.Endpoint]string{}
			}
			for ep, ch := range eps {
				out[svc][ep] = ch
			}
		}
	}
	return out
}

// Definitions returns every model definition of the base configuration
// (including those a user configuration added), sorted by protocol and
// name. Each is a copy.
func (db *DB) Definitions() []*Definition {
	db.mu.Lock()
	defer db.mu.Unlock()
	seen := map[*Definition]bool{}
	var out []*Definition
	for _, d := range db.defs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d.Clone())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Protocol != out[j].Protocol {
			return out[i].Protocol < out[j].Protocol
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// FindByName returns the model definitions whose name is name (case is
// ignored), sorted like Definitions.
func (db *DB) FindByName(name string) []*Definition {
	var out []*Definition
	for _, d := range db.Definitions() {
		if strings.EqualFold(d.Name, name) {
			out = append(out, d)
		}
	}
	return out
}

// Match is a protocol that may drive a found device, with the specifier that
// matched.
type Match struct {
	Protocol  string
	Specifier Specifier
	// User is true when the specifier comes from the user configuration.
	User  bool
	score int
}

// Match returns the protocols whose specifiers fit adv, best first: user
// specifiers before base ones; then by the strength of the match: an exact
// name, an advertised service, manufacturer data, a name prefix (longer
// first), adding up when several fit; then by protocol name.
func (db *DB) Match(adv comm.Advertisement) []Match {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []Match
	add := func(specs map[string][]Specifier, user bool) {
		for name, list := range specs {
			best := -1
			var bestSpec Specifier
			for _, s := range list {
				if sc := matchScore(s, adv); sc > best {
					best, bestSpec = sc, s
				}
			}
			if best > 0 {
				if user {
					best += 1 << 20
				}
				out = append(out, Match{Protocol: name, Specifier: bestSpec, User: user, score: best})
			}
		}
	}
	add(db.userComm, true)
	add(db.comm, false)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].Protocol < out[j].Protocol
	})
	// A protocol extended by the user appears once, with its best match.
	seen := map[string]bool{}
	dedup := out[:0]
	for _, m := range out {
		if !seen[m.Protocol] {
			seen[m.Protocol] = true
			dedup = append(dedup, m)
		}
	}
	return dedup
}

// matchScore is 0 when s does not fit adv, higher for better matches.
func matchScore(s Specifier, adv comm.Advertisement) int {
	switch {
	case s.BLE != nil:
		if adv.Bus != comm.BusBLE && adv.Bus != "" {
			return 0
		}
		return bleScore(s.BLE, adv)
	case s.Serial != nil:
		if adv.Bus == comm.BusSerial && adv.Port != "" && adv.Port == s.Serial.Port {
			return 1000
		}
	case s.HID != nil, s.USB != nil:
		ids, bus := s.HID, comm.BusHID
		if s.USB != nil {
			ids, bus = s.USB, comm.BusUSB
		}
		if adv.Bus != bus {
			return 0
		}
		for _, p := range ids.Pairs {
			if p.VendorID == adv.VendorID && p.ProductID == adv.ProductID {
				return 1000
			}
		}
	case s.Websocket != nil:
		if adv.Bus == comm.BusWebsocket && adv.Name == s.Websocket.Name {
			return 1000
		}
	case s.XInput:
		if adv.Bus == comm.BusXInput {
			return 1
		}
	}
	return 0
}

func bleScore(b *BLESpecifier, adv comm.Advertisement) int {
	// Exact names beat advertised services, which beat manufacturer data,
	// which beat name prefixes: a device that advertises a protocol's own
	// service is that protocol's even if its name looks like another's.
	score := 0
	prefix := 0
	for _, n := range b.Names {
		if p, ok := strings.CutSuffix(n, "*"); ok {
			if strings.HasPrefix(adv.Name, p) && 100+len(p) > prefix {
				prefix = 100 + len(p)
			}
		} else if n == adv.Name && adv.Name != "" {
			score += 1000
		}
	}
	score += prefix
	for _, md := range b.ManufacturerData {
		data, ok := adv.ManufacturerData[md.Company]
		if ok && (md.Data == nil || containsBytes(data, md.Data)) {
			score += 400
			break
		}
	}
services:
	for _, s := range b.AdvertisedServices {
		for _, a := range adv.Services {
			if strings.EqualFold(s, a) {
				score += 500
				break services
			}
		}
	}
	return score
}

// containsBytes reports whether the shorter of a and b occurs inside the
// longer, which is how advertised manufacturer data is compared.
func containsBytes(a, b []byte) bool {
	needle, hay := b, a
	if len(a) < len(b) {
		needle, hay = a, b
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		if string(hay[i:i+len(needle)]) == string(needle) {
			return true
		}
	}
	return false
}

// Allowed reports whether a device at address may be connected: not on the
// deny list, and on the allow list when that list is not empty.
func (db *DB) Allowed(address string) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	allowList := false
	for k, d := range db.users {
		if k.Address == address && d.Deny {
			return false
		}
		if d.Allow {
			allowList = true
		}
	}
	if !allowList {
		return true
	}
	for k, d := range db.users {
		if k.Address == address && d.Allow {
			return true
		}
	}
	return false
}

// Resolve returns the definition of the device a protocol identified: the
// user's definition for this device when there is one, else the model
// definition for the identifier, else the protocol defaults. A device seen
// for the first time gets the lowest device index no known device holds,
// and keeps it for the life of the DB, so a device that reconnects gets its
// old index back.
func (db *DB) Resolve(protocolName, identifier, address string) (*Definition, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	key := UserKey{Protocol: protocolName, Identifier: identifier, Address: address}
	if d, ok := db.users[key]; ok {
		return d.Clone(), nil
	}
	base, ok := db.defs[baseKey{protocol: protocolName, identifier: identifier}]
	if !ok || identifier == "" {
		base, ok = db.defs[baseKey{protocol: protocolName}]
	}
	if !ok {
		return nil, fmt.Errorf("%w for protocol %q identifier %q", ErrUnknownDevice, protocolName, identifier)
	}
	d := base.Clone()
	d.BaseID = base.ID
	d.ID = newUUID()
	d.Index = db.freeIndex()
	for i := range d.Features {
		d.Features[i].BaseID = d.Features[i].ID
		d.Features[i].ID = newUUID()
	}
	db.users[key] = d
	return d.Clone(), nil
}

// UserDefinition returns the user definition of one device, if any.
func (db *DB) UserDefinition(key UserKey) (*Definition, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	d, ok := db.users[key]
	if !ok {
		return nil, false
	}
	return d.Clone(), true
}

func (db *DB) freeIndex() uint32 {
	used := map[uint32]bool{}
	for _, d := range db.users {
		used[d.Index] = true
	}
	for i := uint32(0); i < math.MaxUint32; i++ {
		if !used[i] {
			return i
		}
	}
	return math.MaxUint32
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
