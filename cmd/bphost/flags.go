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
	simulate   listFlag
	logLevel   string
	json       bool
	timeout    time.Duration

	// set records which flags were given, so the config file fills only the
	// others.
	set map[string]bool
}

// register adds the global flags to fs. Registering a flag sets its
// variable to the default, so values parsed earlier (global flags given
// before the command name) are put back.
func (g *globals) register(fs *flag.FlagSet) {
	parsed := *g
	defer func() {
		if parsed.set != nil {
			g.configPath, g.connector, g.logLevel, g.checksums = parsed.configPath, parsed.connector, parsed.logLevel, parsed.checksums
			g.json, g.timeout = parsed.json, parsed.timeout
		}
	}()
	fs.StringVar(&g.configPath, "config", "", "config `file` (default: $BPHOST_CONFIG, then the user config dir's bphost/config.json)")
	fs.StringVar(&g.connector, "connector", defaultConnector, "connector plugin `name` to reach the server through")
	fs.Var(&g.opts, "opt", "connector option `key=value` (repeatable; see `bphost plugins`)")
	fs.Var(&g.pluginDirs, "plugin-dir", "extra plugin `dir`ectory, searched first (repeatable)")
	fs.StringVar(&g.checksums, "checksums", "", "plugin checksum `file` (sha256sum format); when given, only plugins it lists with their sha256 run")
	fs.Var(&g.simulate, "simulate", "simulated device `name` for the embedded connector (repeatable), e.g. \"Lovense Hush\"")
	fs.StringVar(&g.logLevel, "log-level", "", "log `level`: trace, debug, info, warn, error, off (default warn)")
	fs.BoolVar(&g.json, "json", false, "print JSON for scripts instead of tables")
	fs.DurationVar(&g.timeout, "timeout", 10*time.Second, "time allowed to connect and for each request")
}

// newFlagSet returns a flag set for cmd that has the global flags and
// prints errors through the caller, not os.Stderr.
func newFlagSet(cmd string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	g.register(fs)
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

// printDefaults writes the flags of fs.
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
