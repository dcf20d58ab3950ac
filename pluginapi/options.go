package pluginapi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
)

// Options are the option values a session is opened with, checked against
// the transport's Description: every declared option has its value or its
// default, and each value reads as its declared type.
type Options struct {
	values map[string]string
	log    hclog.Logger
}

// Has reports whether the option has a value (given or default).
func (o Options) Has(name string) bool {
	_, ok := o.values[name]
	return ok
}

// String returns the option's text ("" when it has none).
func (o Options) String(name string) string { return o.values[name] }

// Int returns an OptionInt option's value (0 when it has none).
func (o Options) Int(name string) int {
	n, _ := strconv.Atoi(o.values[name])
	return n
}

// Bool returns an OptionBool option's value (false when it has none).
func (o Options) Bool(name string) bool {
	b, _ := strconv.ParseBool(o.values[name])
	return b
}

// Duration returns an OptionDuration option's value (0 when it has none).
func (o Options) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(o.values[name])
	return d
}

// Values returns a copy of every option that has a value.
func (o Options) Values() map[string]string { return maps.Clone(o.values) }

// Resolve checks given option values against d and fills in defaults. Unknown
// names, missing required options and values that do not read as their type
// are reported together in one error wrapping ErrInvalidOptions.
func (d Description) Resolve(given map[string]string) (Options, error) {
	values := make(map[string]string, len(d.Options))
	var problems []string
	known := make(map[string]bool, len(d.Options))
	for _, opt := range d.Options {
		known[opt.Name] = true
		v, ok := given[opt.Name]
		switch {
		case ok:
			if err := checkValue(opt.Type, v); err != nil {
				problems = append(problems, fmt.Sprintf("option %q: %v", opt.Name, err))
				continue
			}
			values[opt.Name] = v
		case opt.Required:
			problems = append(problems, fmt.Sprintf("option %q is required (%s)", opt.Name, opt.Help))
		case opt.Default != "":
			values[opt.Name] = opt.Default
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !known[name] {
			problems = append(problems, fmt.Sprintf("unknown option %q (%s takes %s)", name, d.Name, d.optionNames()))
		}
	}
	if len(problems) > 0 {
		return Options{}, fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(problems, "; "))
	}
	return Options{values: values}, nil
}

func (d Description) optionNames() string {
	if len(d.Options) == 0 {
		return "no options"
	}
	names := make([]string, len(d.Options))
	for i, o := range d.Options {
		names[i] = o.Name
	}
	return strings.Join(names, ", ")
}

// checkValue reports whether v reads as type t.
func checkValue(t OptionType, v string) error {
	var err error
	switch t {
	case 0, OptionString:
	case OptionInt:
		_, err = strconv.Atoi(v)
	case OptionBool:
		_, err = strconv.ParseBool(v)
	case OptionDuration:
		_, err = time.ParseDuration(v)
	default:
		return fmt.Errorf("unknown option type %d", int(t))
	}
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return fmt.Errorf("%q is not a valid %s: %v", v, t, err)
	}
	return nil
}

// Validate reports what is wrong with a Description: a name that cannot be
// part of an executable's name, duplicate or empty option names, unknown
// types, defaults that do not read as their type, required options with a
// default.
func (d Description) Validate() error {
	var problems []string
	if !wire.NameRE.MatchString(d.Name) {
		problems = append(problems, fmt.Sprintf("name %q must match %s", d.Name, wire.NameRE))
	}
	if d.MaxFrame < 0 || d.MaxFrame > MaxFrame {
		problems = append(problems, fmt.Sprintf("max frame %d is outside 0..%d", d.MaxFrame, MaxFrame))
	}
	seen := map[string]bool{}
	for i, o := range d.Options {
		switch {
		case o.Name == "":
			problems = append(problems, fmt.Sprintf("option %d has no name", i))
		case seen[o.Name]:
			problems = append(problems, fmt.Sprintf("option %q is declared twice", o.Name))
		}
		seen[o.Name] = true
		if o.Type < 0 || o.Type > OptionDuration {
			problems = append(problems, fmt.Sprintf("option %q has unknown type %d", o.Name, int(o.Type)))
			continue
		}
		if o.Required && o.Default != "" {
			problems = append(problems, fmt.Sprintf("option %q is required but has a default", o.Name))
		}
		if o.Default != "" {
			if err := checkValue(o.Type, o.Default); err != nil {
				problems = append(problems, fmt.Sprintf("option %q default: %v", o.Name, err))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid plugin description: %s", strings.Join(problems, "; "))
	}
	return nil
}

// maxFrame is the frame limit the description declares.
func (d Description) maxFrame() int { return wire.FrameLimit(d.MaxFrame) }
