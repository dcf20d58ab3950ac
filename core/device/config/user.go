package config

import (
	"github.com/bphost/bphost/core/protocol"
)

// loadUser reads a user configuration into db: its protocols, decoded with
// the base file's types, and its devices, each a copy of the definition it
// names (base_id) with the user's settings merged in.
func (db *DB) loadUser(src *Source) error {
	f := &file{name: src.Name, strict: true}
	var doc userFileJSON
	if err := f.decode(src.Data, &doc); err != nil {
		return err
	}
	if err := f.fields("$", &doc, "version!", "user_configs"); err != nil {
		return err
	}
	v, err := f.version(doc.Version)
	if err != nil {
		return err
	}
	if v.Major != db.version.Major {
		return f.errf("$.version.major", "major version %d differs from the base configuration's %d", v.Major, db.version.Major)
	}
	uc := doc.UserConfigs
	if uc == nil {
		return nil
	}
	at := path("$.user_configs")
	if err := f.fields(at, uc, "protocols", "devices"); err != nil {
		return err
	}
	if err := f.protocols(db, at.key("protocols"), uc.Protocols, true); err != nil {
		return err
	}
	for i, dj := range uc.Devices {
		dp := at.key("devices").index(i)
		key, d, err := f.userDevice(db, dp, dj)
		if err != nil {
			return err
		}
		if _, dup := db.users[key]; dup {
			return f.errf(dp, "device %s/%q at %q is configured twice", key.Protocol, key.Identifier, key.Address)
		}
		db.users[key] = d
	}
	return nil
}

func (f *file) userDevice(db *DB, at path, dj *userDeviceJSON) (UserKey, *Definition, error) {
	var key UserKey
	if err := f.fields(at, dj, "identifier!", "config!"); err != nil {
		return key, nil, err
	}
	id := dj.Identifier
	if err := f.fields(at.key("identifier"), id, "protocol!", "identifier", "address!"); err != nil {
		return key, nil, err
	}
	key.Protocol, key.Address = *id.Protocol, *id.Address
	if id.Identifier != nil {
		key.Identifier = *id.Identifier
	}

	c, cp := dj.Config, at.key("config")
	if err := f.fields(cp, c, "id!", "base_id!", "name", "features!", "user_config!"); err != nil {
		return key, nil, err
	}
	var base *Definition
	for k, d := range db.defs {
		if d.ID == string(*c.BaseID) && k.protocol == key.Protocol {
			base = d
			break
		}
	}
	if base == nil {
		return key, nil, f.errf(cp.key("base_id"), "no definition of protocol %q has id %s", key.Protocol, *c.BaseID)
	}
	d := base.Clone()
	d.ID, d.BaseID = string(*c.ID), base.ID

	u := c.UserConfig
	if err := f.fields(cp.key("user_config"), u, "allow!", "deny!", "index!", "display_name", "message_gap_ms"); err != nil {
		return key, nil, err
	}
	d.Allow, d.Deny, d.Index = *u.Allow, *u.Deny, uint32(*u.Index)
	if u.DisplayName != nil {
		d.DisplayName = *u.DisplayName
	}
	if u.MessageGapMs != nil {
		d.MessageGap = gap(*u.MessageGapMs)
	}

	fp := cp.key("features")
	if len(c.Features) != len(base.Features) {
		return key, nil, f.errf(fp, "has %d features but definition %s (%s) has %d", len(c.Features), base.ID, base.Name, len(base.Features))
	}
	used := map[uuid]bool{}
	d.Features = d.Features[:0]
	for i, fj := range c.Features {
		feat, err := f.userFeature(fp.index(i), fj, base, used)
		if err != nil {
			return key, nil, err
		}
		d.Features = append(d.Features, feat)
	}
	sortFeatures(d.Features)
	return key, d, nil
}

// userFeature is the base feature a user feature names, with the user's
// output settings merged in.
func (f *file) userFeature(at path, fj *featureJSON, base *Definition, used map[uuid]bool) (Feature, error) {
	if err := f.fields(at, fj, "id!", "base_id!", "description", "output"); err != nil {
		return Feature{}, err
	}
	baseID := *fj.BaseID
	var bf *Feature
	for i := range base.Features {
		if base.Features[i].ID == string(baseID) {
			bf = &base.Features[i]
			break
		}
	}
	if bf == nil {
		return Feature{}, f.errf(at.key("base_id"), "definition %s (%s) has no feature with id %s", base.ID, base.Name, baseID)
	}
	if used[baseID] {
		return Feature{}, f.errf(at.key("base_id"), "feature %s is configured twice", baseID)
	}
	used[baseID] = true
	feat := (&Definition{Features: []Feature{*bf}}).Clone().Features[0]
	feat.ID, feat.BaseID = string(*fj.ID), string(baseID)
	for _, k := range sortedKeys(fj.Output) {
		op := at.key("output").key(string(k))
		out := feat.Output(configOutputNames[string(k)])
		if out == nil {
			return feat, f.errf(op, "feature %s has no %s output to configure", baseID, k)
		}
		if err := f.userOutput(op, fj.Output[k], out); err != nil {
			return feat, err
		}
	}
	return feat, nil
}

// userOutput merges the user's settings of one output into out.
func (f *file) userOutput(at path, oj *outputJSON, out *Output) error {
	allowed := []string{"value", "disabled"}
	switch out.Type {
	case protocol.OutputPosition:
		allowed = append(allowed, "reverse")
	case protocol.OutputHwPositionWithDuration:
		allowed = append(allowed, "reverse", "duration")
	}
	if err := f.fields(at, oj, allowed...); err != nil {
		return err
	}
	if oj.Disabled != nil {
		out.Disabled = *oj.Disabled
	}
	if oj.Reverse != nil {
		out.Reverse = *oj.Reverse
	}
	if oj.Value != nil {
		r, err := f.rangeOf(at.key("value"), oj.Value, 0)
		if err != nil {
			return err
		}
		if r[1] > out.Value.Max() {
			return f.errf(at.key("value"), "user range [%d, %d] exceeds the device range [0, %d]", r[0], r[1], out.Value.Max())
		}
		out.Limit = &r
	}
	if oj.Duration != nil {
		r, err := f.rangeOf(at.key("duration"), oj.Duration, 0)
		if err != nil {
			return err
		}
		if out.Duration != nil && r[1] > out.Duration.Max() {
			return f.errf(at.key("duration"), "user duration range [%d, %d] exceeds the device range [0, %d]", r[0], r[1], out.Duration.Max())
		}
		out.DurationLimit = &r
	}
	return nil
}
