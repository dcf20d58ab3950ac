package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/protocol"
)

// The typed form of both configuration files (see the JSON schema of the
// device configuration, buttplug-device-config-schema-v4.json). The base
// file and the user file share these types: a user file's devices use the
// same feature and output objects, with other members allowed (checked by
// file.only). A member that may be missing is a pointer, nil when missing
// or null; leaf types check their own values, so the library's error
// carries their message and the JSON pointer to them.

type versionJSON struct {
	Major *u32 `json:"major"`
	Minor *u32 `json:"minor"`
	unknownFields
}

type baseFileJSON struct {
	Version   *versionJSON             `json:"version"`
	Protocols map[string]*protocolJSON `json:"protocols"`
	unknownFields
}

type userFileJSON struct {
	Version     *versionJSON `json:"version"`
	UserConfigs *struct {
		Protocols map[string]*protocolJSON `json:"protocols"`
		Devices   []*userDeviceJSON        `json:"devices"`
		unknownFields
	} `json:"user_configs"`
	unknownFields
}

type protocolJSON struct {
	Communication  []*specifierJSON  `json:"communication"`
	Defaults       *definitionJSON   `json:"defaults"`
	Configurations []*definitionJSON `json:"configurations"`
	unknownFields
}

// specifierJSON has exactly one bus member; opt tells a null member from a
// missing one, as a null bus is an error of its own.
type specifierJSON struct {
	BLE            opt[bleJSON]       `json:"btle"`
	Serial         opt[serialJSON]    `json:"serial"`
	HID            opt[idsJSON]       `json:"hid"`
	USB            opt[idsJSON]       `json:"usb"`
	Websocket      opt[websocketJSON] `json:"websocket"`
	XInput         opt[existsJSON]    `json:"xinput"`
	LovenseConnect opt[existsJSON]    `json:"lovense_connect_service"`
	unknownFields
}

type bleJSON struct {
	Names              []text                              `json:"names"`
	ManufacturerData   []*manufacturerDataJSON             `json:"manufacturer_data"`
	AdvertisedServices []uuid                              `json:"advertised_services"`
	Services           map[serviceKey]map[endpointKey]uuid `json:"services"`
	unknownFields
}

type manufacturerDataJSON struct {
	Company        *u16           `json:"company"`
	Data           []u8           `json:"data"`
	ExpectedLength jsontext.Value `json:"expected_length"`
	unknownFields
}

type serialJSON struct {
	Port     *string `json:"port"`
	BaudRate *u32    `json:"baud_rate"`
	DataBits *u8     `json:"data_bits"`
	Parity   *string `json:"parity"`
	StopBits *u8     `json:"stop_bits"`
	unknownFields
}

type idsJSON struct {
	Pairs []*struct {
		VendorID  *u16 `json:"vendor_id"`
		ProductID *u16 `json:"product_id"`
		unknownFields
	} `json:"pairs"`
	unknownFields
}

type websocketJSON struct {
	Name *string `json:"name"`
	unknownFields
}

type existsJSON struct {
	Exists jsontext.Value `json:"exists"`
	unknownFields
}

// definitionJSON is a protocol's defaults or one of its configurations.
type definitionJSON struct {
	Identifier      []text         `json:"identifier"`
	Name            *string        `json:"name"`
	ID              *uuid          `json:"id"`
	ProtocolVariant *string        `json:"protocol_variant"`
	MessageGapMs    *u32           `json:"message_gap_ms"`
	Features        []*featureJSON `json:"features"`
	unknownFields
}

// featureJSON is a feature of a definition, or a user device's settings
// of one (which name the base feature by base_id instead of an index).
type featureJSON struct {
	Index           *u32                      `json:"index"`
	Description     *string                   `json:"description"`
	ID              *uuid                     `json:"id"`
	BaseID          *uuid                     `json:"base_id"`
	Output          map[outputKey]*outputJSON `json:"output"`
	Input           map[inputKey]*inputJSON   `json:"input"`
	FeatureSettings *featureSettingsJSON      `json:"feature_settings"`
	unknownFields
}

type featureSettingsJSON struct {
	AltProtocolIndex *u32 `json:"alt_protocol_index"`
	unknownFields
}

// outputJSON is an output of a definition (value, duration) or the user's
// settings of one (value, duration as sub-ranges, disabled, reverse).
type outputJSON struct {
	Value    pair  `json:"value"`
	Disabled *bool `json:"disabled"`
	Reverse  *bool `json:"reverse"`
	Duration pair  `json:"duration"`
	unknownFields
}

type inputJSON struct {
	Value   []pair         `json:"value"`
	Command []inputCommand `json:"command"`
	unknownFields
}

type userDeviceJSON struct {
	Identifier *struct {
		Protocol   *string `json:"protocol"`
		Identifier *string `json:"identifier"`
		Address    *string `json:"address"`
		unknownFields
	} `json:"identifier"`
	Config *struct {
		ID         *uuid          `json:"id"`
		BaseID     *uuid          `json:"base_id"`
		Name       jsontext.Value `json:"name"`
		Features   []*featureJSON `json:"features"`
		UserConfig *struct {
			Allow        *bool   `json:"allow"`
			Deny         *bool   `json:"deny"`
			Index        *u32    `json:"index"`
			DisplayName  *string `json:"display_name"`
			MessageGapMs *u32    `json:"message_gap_ms"`
			unknownFields
		} `json:"user_config"`
		unknownFields
	} `json:"config"`
	unknownFields
}

// opt is a member whose null differs from its absence.
type opt[T any] struct {
	set bool
	v   *T
}

func (o opt[T]) present() bool { return o.set }

// UnmarshalJSONFrom records that the member is there and decodes it.
func (o *opt[T]) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	o.set = true
	if d.PeekKind() == 'n' {
		_, err := d.ReadToken()
		return err
	}
	o.v = new(T)
	return json.UnmarshalDecode(d, o.v)
}

// readValue reads one value that must be of kind want (described as what).
func readValue(d *jsontext.Decoder, want jsontext.Kind, what string) (jsontext.Value, error) {
	v, err := d.ReadValue()
	if err != nil {
		return nil, err
	}
	if v.Kind() != want {
		return nil, fmt.Errorf("expected %s, got %s", what, kindName(v.Kind()))
	}
	return v, nil
}

func readString(d *jsontext.Decoder) (string, error) {
	if d.PeekKind() != '"' {
		_, err := readValue(d, '"', "a string")
		return "", err
	}
	tok, err := d.ReadToken()
	return tok.String(), err
}

// readInt reads an integer within [lo, hi]; integral floats such as 4.0
// and 1e2 are integers too.
func readInt(d *jsontext.Decoder, lo, hi int64) (int64, error) {
	v, err := readValue(d, '0', "an integer")
	if err != nil {
		return 0, err
	}
	lit := string(v)
	i, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(lit, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, fmt.Errorf("expected an integer, got %s", lit)
		}
		i = int64(f)
	}
	if i < lo || i > hi {
		return 0, fmt.Errorf("value %d is out of range [%d, %d]", i, lo, hi)
	}
	return i, nil
}

// Integer leaf types, each checking its own range.
type (
	u8      uint8
	u16     uint16
	u32     uint32
	integer int64 // an element of a range; its bounds depend on where it is
)

func (v *u8) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	i, err := readInt(d, 0, math.MaxUint8)
	*v = u8(i)
	return err
}

func (v *u16) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	i, err := readInt(d, 0, math.MaxUint16)
	*v = u16(i)
	return err
}

func (v *u32) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	i, err := readInt(d, 0, math.MaxUint32)
	*v = u32(i)
	return err
}

func (v *integer) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	i, err := readInt(d, math.MinInt64, math.MaxInt64)
	*v = integer(i)
	return err
}

// pair is a [min, max] range; file.rangeOf checks its length and bounds.
type pair []integer

// text is a string that, as an array element, may not be null.
type text string

func (t *text) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	s, err := readString(d)
	*t = text(s)
	return err
}

// isUUID reports whether s is a UUID: 8-4-4-4-12 hexadecimal digits.
func isUUID[T string | []byte](s T) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// uuid is a UUID string, kept in lower case.
type uuid string

func (u *uuid) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	s, err := readString(d)
	if err != nil {
		return err
	}
	if !isUUID(s) {
		return fmt.Errorf("expected a UUID like 00000000-0000-0000-0000-000000000000, got %q", s)
	}
	*u = uuid(strings.ToLower(s))
	return nil
}

type inputCommand protocol.InputCommandType

func (c *inputCommand) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	s, err := readString(d)
	if err != nil {
		return err
	}
	ct := protocol.InputCommandType(s)
	if ct != protocol.InputCommandRead && ct != protocol.InputCommandSubscribe {
		return fmt.Errorf("unknown input command %q (expected Read or Subscribe)", s)
	}
	*c = inputCommand(ct)
	return nil
}

// Object keys that name something: checked as the key is read, before its
// value.
type (
	outputKey   string
	inputKey    string
	serviceKey  string
	endpointKey string
)

func (k *outputKey) UnmarshalText(b []byte) error {
	if _, ok := configOutputNames[string(b)]; !ok {
		return fmt.Errorf("unknown output type %q", b)
	}
	*k = outputKey(b)
	return nil
}

func (k *inputKey) UnmarshalText(b []byte) error {
	if _, ok := configInputNames[string(b)]; !ok {
		return fmt.Errorf("unknown input type %q", b)
	}
	*k = inputKey(b)
	return nil
}

func (k *serviceKey) UnmarshalText(b []byte) error {
	if !isUUID(b) {
		return fmt.Errorf("service key %q is not a UUID", b)
	}
	*k = serviceKey(strings.ToLower(string(b)))
	return nil
}

func (k *endpointKey) UnmarshalText(b []byte) error {
	if !comm.ValidEndpoint(string(b)) {
		return fmt.Errorf("unknown endpoint %q", b)
	}
	*k = endpointKey(b)
	return nil
}
