// Package devicetest runs the Buttplug protocol test vectors: YAML files
// that name the device a simulated backend advertises, the client messages
// to send (in the reference client's terms: Vibrate, Rotate, Linear,
// Scalar, Stop, Battery), the exact hardware operations the device must
// receive, and the notifications and read results it answers with.
//
// The step that executes client messages is behind the Client interface,
// so the same vectors run directly against the device manager
// (NewDirectClient) or through a server session (core/server's tests).
package devicetest

import (
	"fmt"
	"os"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/bphost/bphost/core/device/comm"
)

// Case is one vector file.
type Case struct {
	// File is the path the case was read from.
	File string
	// Devices are the devices the simulated backend advertises.
	Devices []CaseDevice
	// DeviceConfigFile and UserConfigFile name files of the config/
	// directory beside the vector, when the case needs them.
	DeviceConfigFile string
	UserConfigFile   string
	// Init runs while the device connects; Commands once it is added.
	Init     []Step
	Commands []Step
}

// CaseDevice is one advertised device and what the client must see.
type CaseDevice struct {
	Name, Address                     string
	ExpectedName, ExpectedDisplayName string
}

// StepKind says what a Step does.
type StepKind int

// Step kinds.
const (
	// StepMessages sends client messages.
	StepMessages StepKind = iota + 1
	// StepCommands expects hardware operations on the device, in order.
	StepCommands
	// StepEvents makes the device send notifications, queue read results
	// or disconnect.
	StepEvents
)

// Step is one step of a case. Steps inside !VersionGated blocks carry the
// block's minimum spec version.
type Step struct {
	Kind     StepKind
	Device   uint32
	Messages []Message
	Expect   []HWCommand
	Events   []HWEvent
	// MinSpec is the lowest client spec version the step applies to.
	MinSpec uint32
	// Line is the step's line in the file.
	Line int
}

// MessageKind names a client message.
type MessageKind string

// Client messages of the vectors.
const (
	MsgVibrate MessageKind = "Vibrate"
	MsgRotate  MessageKind = "Rotate"
	MsgLinear  MessageKind = "Linear"
	MsgScalar  MessageKind = "Scalar"
	MsgStop    MessageKind = "Stop"
	MsgBattery MessageKind = "Battery"
	MsgRSSI    MessageKind = "RSSI"
)

// Message is one client message. Subcommands index features the way the
// reference client does: Vibrate Index i is the i-th vibrating feature,
// Rotate Index the i-th rotating one, Linear Index the i-th positioning one
// and Scalar Index the position in the v3 ScalarCmd attribute list.
type Message struct {
	Kind MessageKind
	Subs []Sub
	// ExpectedPower (0-1) and RunAsync are set for Battery.
	ExpectedPower float64
	RunAsync      bool
	Line          int
}

// Sub is one subcommand of a Vibrate, Rotate, Linear or Scalar message.
type Sub struct {
	Index uint32
	// Value is Speed (Vibrate, Rotate), Scalar, or Position (Linear), 0-1.
	Value     float64
	Clockwise bool
	// Duration is the Linear duration in milliseconds.
	Duration uint32
	// ActuatorType is the Scalar actuator type ("Vibrate", "Oscillate"...).
	ActuatorType string
}

// HWKind is a hardware operation kind.
type HWKind string

// Hardware operations a device receives.
const (
	HWWrite       HWKind = "Write"
	HWSubscribe   HWKind = "Subscribe"
	HWUnsubscribe HWKind = "Unsubscribe"
)

// HWCommand is one hardware operation a device must receive.
type HWCommand struct {
	Kind         HWKind
	Endpoint     comm.Endpoint
	Data         []byte
	WithResponse bool
	Line         int
}

// String renders the command as the runner reports it.
func (c HWCommand) String() string {
	if c.Kind != HWWrite {
		return fmt.Sprintf("%s %s", c.Kind, c.Endpoint)
	}
	s := fmt.Sprintf("Write %s %v", c.Endpoint, c.Data)
	if c.WithResponse {
		s += " with response"
	}
	return s
}

// HWEventKind is something a device does.
type HWEventKind string

// Device events.
const (
	EvNotifications HWEventKind = "Notifications"
	EvReads         HWEventKind = "Reads"
	EvDisconnect    HWEventKind = "Disconnect"
)

// HWEvent is something the device does: notifications, read results to
// queue, or a disconnect.
type HWEvent struct {
	Kind  HWEventKind
	Items []Notification
}

// Notification is data on an endpoint.
type Notification struct {
	Endpoint comm.Endpoint
	Data     []byte
}

// Load reads and parses one vector file.
func Load(path string) (*Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.File = path
	return c, nil
}

// Parse parses the YAML of one vector.
func Parse(data []byte) (*Case, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, fmt.Errorf("expected one YAML document")
	}
	m, err := mapping(root.Content[0])
	if err != nil {
		return nil, err
	}
	c := &Case{}
	for k, v := range m {
		switch k {
		case "devices":
			if c.Devices, err = parseDevices(v); err != nil {
				return nil, err
			}
		case "device_config_file":
			c.DeviceConfigFile = v.Value
		case "user_device_config_file":
			c.UserConfigFile = v.Value
		case "device_init":
			if c.Init, err = parseSteps(v, 0); err != nil {
				return nil, err
			}
		case "device_commands":
			if c.Commands, err = parseSteps(v, 0); err != nil {
				return nil, err
			}
		default:
			return nil, errAt(v, "unknown key %q", k)
		}
	}
	if len(c.Devices) == 0 {
		return nil, fmt.Errorf("no devices")
	}
	return c, nil
}

func errAt(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

func mapping(n *yaml.Node) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "expected a mapping")
	}
	m := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	return m, nil
}

func seq(n *yaml.Node) ([]*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "expected a sequence")
	}
	return n.Content, nil
}

func tagName(n *yaml.Node) string {
	if len(n.Tag) > 1 && n.Tag[0] == '!' && n.Tag[1] != '!' {
		return n.Tag[1:]
	}
	return ""
}

func parseDevices(n *yaml.Node) ([]CaseDevice, error) {
	items, err := seq(n)
	if err != nil {
		return nil, err
	}
	var out []CaseDevice
	for _, it := range items {
		m, err := mapping(it)
		if err != nil {
			return nil, err
		}
		var d CaseDevice
		for k, v := range m {
			switch k {
			case "identifier":
				im, err := mapping(v)
				if err != nil {
					return nil, err
				}
				for ik, iv := range im {
					switch ik {
					case "name":
						d.Name = iv.Value
					case "address":
						d.Address = iv.Value
					default:
						return nil, errAt(iv, "unknown identifier key %q", ik)
					}
				}
			case "expected_name":
				d.ExpectedName = v.Value
			case "expected_display_name":
				d.ExpectedDisplayName = v.Value
			default:
				return nil, errAt(v, "unknown device key %q", k)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func parseSteps(n *yaml.Node, minSpec uint32) ([]Step, error) {
	items, err := seq(n)
	if err != nil {
		return nil, err
	}
	var out []Step
	for _, it := range items {
		tag := tagName(it)
		m, err := mapping(it)
		if err != nil {
			return nil, err
		}
		if tag == "VersionGated" {
			vn, ok := m["min_spec_version"]
			if !ok {
				return nil, errAt(it, "VersionGated without min_spec_version")
			}
			v, err := strconv.ParseUint(vn.Value, 10, 32)
			if err != nil {
				return nil, errAt(vn, "bad min_spec_version %q", vn.Value)
			}
			cn, ok := m["commands"]
			if !ok {
				return nil, errAt(it, "VersionGated without commands")
			}
			inner, err := parseSteps(cn, max(minSpec, uint32(v)))
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		}
		st := Step{MinSpec: minSpec, Line: it.Line}
		if dn, ok := m["device_index"]; ok {
			v, err := strconv.ParseUint(dn.Value, 10, 32)
			if err != nil {
				return nil, errAt(dn, "bad device_index %q", dn.Value)
			}
			st.Device = uint32(v)
		}
		switch tag {
		case "Messages":
			st.Kind = StepMessages
			mn, ok := m["messages"]
			if !ok {
				return nil, errAt(it, "Messages without messages")
			}
			if st.Messages, err = parseMessages(mn); err != nil {
				return nil, err
			}
		case "Commands":
			st.Kind = StepCommands
			cn, ok := m["commands"]
			if !ok {
				return nil, errAt(it, "Commands without commands")
			}
			if st.Expect, err = parseHWCommands(cn); err != nil {
				return nil, err
			}
		case "Events":
			st.Kind = StepEvents
			en, ok := m["events"]
			if !ok {
				return nil, errAt(it, "Events without events")
			}
			if st.Events, err = parseEvents(en); err != nil {
				return nil, err
			}
		default:
			return nil, errAt(it, "unknown step tag %q", it.Tag)
		}
		out = append(out, st)
	}
	return out, nil
}

func parseMessages(n *yaml.Node) ([]Message, error) {
	items, err := seq(n)
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, it := range items {
		msg := Message{Kind: MessageKind(tagName(it)), Line: it.Line}
		switch msg.Kind {
		case MsgStop, MsgRSSI:
		case MsgBattery:
			m, err := mapping(it)
			if err != nil {
				return nil, err
			}
			for k, v := range m {
				switch k {
				case "expected_power":
					if msg.ExpectedPower, err = strconv.ParseFloat(v.Value, 64); err != nil {
						return nil, errAt(v, "bad expected_power %q", v.Value)
					}
				case "run_async":
					if msg.RunAsync, err = strconv.ParseBool(v.Value); err != nil {
						return nil, errAt(v, "bad run_async %q", v.Value)
					}
				default:
					return nil, errAt(v, "unknown Battery key %q", k)
				}
			}
		case MsgVibrate, MsgRotate, MsgLinear, MsgScalar:
			subs, err := seq(it)
			if err != nil {
				return nil, err
			}
			for _, sn := range subs {
				s, err := parseSub(sn, msg.Kind)
				if err != nil {
					return nil, err
				}
				msg.Subs = append(msg.Subs, s)
			}
		default:
			return nil, errAt(it, "unknown message %q", it.Tag)
		}
		out = append(out, msg)
	}
	return out, nil
}

func parseSub(n *yaml.Node, kind MessageKind) (Sub, error) {
	m, err := mapping(n)
	if err != nil {
		return Sub{}, err
	}
	var s Sub
	valueKey := map[MessageKind]string{MsgVibrate: "Speed", MsgRotate: "Speed", MsgLinear: "Position", MsgScalar: "Scalar"}[kind]
	for k, v := range m {
		switch {
		case k == "Index":
			i, err := strconv.ParseUint(v.Value, 10, 32)
			if err != nil {
				return s, errAt(v, "bad Index %q", v.Value)
			}
			s.Index = uint32(i)
		case k == valueKey:
			if s.Value, err = strconv.ParseFloat(v.Value, 64); err != nil {
				return s, errAt(v, "bad %s %q", k, v.Value)
			}
		case k == "Clockwise" && kind == MsgRotate:
			if s.Clockwise, err = strconv.ParseBool(v.Value); err != nil {
				return s, errAt(v, "bad Clockwise %q", v.Value)
			}
		case k == "Duration" && kind == MsgLinear:
			d, err := strconv.ParseUint(v.Value, 10, 32)
			if err != nil {
				return s, errAt(v, "bad Duration %q", v.Value)
			}
			s.Duration = uint32(d)
		case k == "ActuatorType" && kind == MsgScalar:
			s.ActuatorType = v.Value
		default:
			return s, errAt(v, "unknown %s key %q", kind, k)
		}
	}
	return s, nil
}

func parseBytes(n *yaml.Node) ([]byte, error) {
	items, err := seq(n)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(items))
	for _, it := range items {
		v, err := strconv.ParseUint(it.Value, 0, 8)
		if err != nil {
			return nil, errAt(it, "bad byte %q", it.Value)
		}
		out = append(out, byte(v))
	}
	return out, nil
}

func parseHWCommands(n *yaml.Node) ([]HWCommand, error) {
	items, err := seq(n)
	if err != nil {
		return nil, err
	}
	var out []HWCommand
	for _, it := range items {
		c := HWCommand{Kind: HWKind(tagName(it)), Line: it.Line}
		switch c.Kind {
		case HWWrite, HWSubscribe, HWUnsubscribe:
		default:
			return nil, errAt(it, "unknown hardware command %q", it.Tag)
		}
		m, err := mapping(it)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			switch {
			case k == "endpoint":
				c.Endpoint = comm.Endpoint(v.Value)
			case k == "data" && c.Kind == HWWrite:
				if c.Data, err = parseBytes(v); err != nil {
					return nil, err
				}
			case k == "feature_id":
				// The reference's internal feature UUID; not part of the
				// bytes on the wire.
			case k == "write_with_response" && c.Kind == HWWrite:
				if c.WithResponse, err = strconv.ParseBool(v.Value); err != nil {
					return nil, errAt(v, "bad write_with_response %q", v.Value)
				}
			default:
				return nil, errAt(v, "unknown %s key %q", c.Kind, k)
			}
		}
		if c.Endpoint == "" {
			return nil, errAt(it, "%s without endpoint", c.Kind)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseEvents(n *yaml.Node) ([]HWEvent, error) {
	items, err := seq(n)
	if err != nil {
		return nil, err
	}
	var out []HWEvent
	for _, it := range items {
		e := HWEvent{Kind: HWEventKind(tagName(it))}
		switch e.Kind {
		case EvDisconnect:
		case EvNotifications, EvReads:
			list, err := seq(it)
			if err != nil {
				return nil, err
			}
			for _, ln := range list {
				m, err := mapping(ln)
				if err != nil {
					return nil, err
				}
				var nt Notification
				for k, v := range m {
					switch k {
					case "endpoint":
						nt.Endpoint = comm.Endpoint(v.Value)
					case "data":
						if nt.Data, err = parseBytes(v); err != nil {
							return nil, err
						}
					default:
						return nil, errAt(v, "unknown %s key %q", e.Kind, k)
					}
				}
				e.Items = append(e.Items, nt)
			}
		default:
			return nil, errAt(it, "unknown event %q", it.Tag)
		}
		out = append(out, e)
	}
	return out, nil
}
