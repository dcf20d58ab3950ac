package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// errUsage marks a command line that cannot be run as given; it exits 2.
var errUsage = errors.New("usage")

// usageError reports a bad command line.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// optFlag collects repeatable key=value options.
type optFlag struct {
	keys []string
	vals map[string]string
}

func (o *optFlag) String() string {
	if o == nil {
		return ""
	}
	parts := make([]string, 0, len(o.keys))
	for _, k := range o.keys {
		parts = append(parts, k+"="+o.vals[k])
	}
	return strings.Join(parts, ",")
}

func (o *optFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("option %q is not key=value", s)
	}
	if o.vals == nil {
		o.vals = map[string]string{}
	}
	if _, dup := o.vals[k]; !dup {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return nil
}

// globals are the flags every command accepts, before or after its name.
type globals struct {
	configPath string
	connector  string
	opts       optFlag
	pluginDirs listFlag
	checksums  string
	// simulate lists the --simulate names in order; each one is also added
	// to the connector's "simulate" option (see simulateFlag).
	simulate listFlag
	logLevel string
	json     bool
	timeout  time.Duration

	// set records which flags were given, so the config file fills only the
	// others.
	set map[string]bool
	// own holds the global flags, registered once; every command's flag set
	// shares its flag values, so a value parsed before the command name
	// stays when the command's flags are parsed.
	own *flag.FlagSet
}

// simulateFlag is --simulate: sugar for the embedded connector's option
// --opt simulate=NAME, repeatable, each name added to the comma-separated
// list.
type simulateFlag struct{ g *globals }

func (f simulateFlag) String() string {
	if f.g == nil {
		return ""
	}
	return f.g.simulate.String()
}

func (f simulateFlag) Set(name string) error {
	f.g.simulate = append(f.g.simulate, name)
	list := name
	if cur := f.g.opts.vals["simulate"]; cur != "" {
		list = cur + "," + name
	}
	return f.g.opts.Set("simulate=" + list)
}

// flags returns g's own flag set, registering the global flags the first
// time.
func (g *globals) flags() *flag.FlagSet {
	if g.own != nil {
		return g.own
	}
	fs := flag.NewFlagSet("bphost", flag.ContinueOnError)
	fs.StringVar(&g.configPath, "config", "", "config `file` (default: $BPHOST_CONFIG, then the user config dir's bphost/config.json)")
	fs.StringVar(&g.connector, "connector", defaultConnector, "connector plugin `name` to reach the server through")
	fs.Var(&g.opts, "opt", "connector option `key=value` (repeatable; see `bphost plugins`)")
	fs.Var(&g.pluginDirs, "plugin-dir", "extra plugin `dir`ectory, searched first (repeatable)")
	fs.StringVar(&g.checksums, "checksums", "", "plugin checksum `file` (sha256sum format); when given, only plugins it lists with their sha256 run")
	fs.Var(simulateFlag{g}, "simulate", "simulated device `name` for the embedded connector (repeatable), e.g. \"Lovense Hush\"; short for --opt simulate=NAME")
	fs.StringVar(&g.logLevel, "log-level", "", "log `level`: trace, debug, info, warn, error, off (default warn)")
	fs.BoolVar(&g.json, "json", false, "print JSON for scripts instead of tables")
	fs.DurationVar(&g.timeout, "timeout", 10*time.Second, "time allowed to connect and for each request")
	g.own = fs
	return fs
}

// newFlagSet returns a flag set for cmd that has the global flags and
// prints errors through the caller, not os.Stderr.
func newFlagSet(cmd string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	g.flags().VisitAll(func(f *flag.Flag) {
		fs.Var(f.Value, f.Name, f.Usage)
		fs.Lookup(f.Name).DefValue = f.DefValue
	})
	return fs
}

// parseFlags parses args into fs and records which flags were set.
func parseFlags(fs *flag.FlagSet, g *globals, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError("%s: %v", fs.Name(), err)
	}
	if g.set == nil {
		g.set = map[string]bool{}
	}
	fs.Visit(func(f *flag.Flag) { g.set[f.Name] = true })
	return nil
}

// printDefaults writes the flags of fs but the hidden ones (hiddenUsage).
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage != hiddenUsage {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	shown.SetOutput(w)
	shown.PrintDefaults()
}
