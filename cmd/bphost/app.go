package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// app is one run of bphost: its output streams and parsed global flags.
type app struct {
	stdout, stderr io.Writer
	g              globals
	// launcher starts connectors; nil means plugin processes found in the
	// plugin directories. Tests set an in-process one.
	launcher launcher
}

// command is one bphost subcommand: its name, its usage (synopsis and
// summary) for help, and flags, which registers the command's own flags on
// a flag set that already has the global ones and returns run, the body
// that reads them once they are parsed.
type command struct {
	name    string
	usage   string // argument synopsis for help
	summary string
	// connects marks commands that talk to a server through a connector.
	connects bool
	flags    func(a *app, fs *flag.FlagSet) (run func(ctx context.Context) error)
}

// commands lists every subcommand in the order help shows them.
func commands() []command {
	return []command{
		{name: "demo", summary: "the whole path on simulated toys through the embedded plugin; no setup", flags: demoCmd},
		{name: "devices", usage: "[--scan D]", summary: "scan and list devices with their features", connects: true, flags: devicesCmd},
		{name: "vibrate", usage: "--device I [--feature N] --level F [--duration D]", summary: "set vibration", connects: true, flags: outputCmd("vibrate")},
		{name: "rotate", usage: "--device I [--feature N] --level F [--ccw] [--duration D]", summary: "set rotation speed and direction", connects: true, flags: outputCmd("rotate")},
		{name: "oscillate", usage: "--device I [--feature N] --level F [--duration D]", summary: "set oscillation", connects: true, flags: outputCmd("oscillate")},
		{name: "constrict", usage: "--device I [--feature N] --level F [--duration D]", summary: "set constriction", connects: true, flags: outputCmd("constrict")},
		{name: "inflate", usage: "--device I [--feature N] --level F [--duration D]", summary: "set inflation", connects: true, flags: outputCmd("inflate")},
		{name: "position", usage: "--device I [--feature N] --level F [--duration D]", summary: "move to a position (over D when given)", connects: true, flags: outputCmd("position")},
		{name: "battery", usage: "--device I", summary: "read the battery level", connects: true, flags: batteryCmd},
		{name: "read", usage: "--device I --feature N [--type T]", summary: "read an input (battery, rssi, pressure, button...)", connects: true, flags: readCmd},
		{name: "stop", usage: "[--device I]", summary: "stop one device, or every device", connects: true, flags: stopCmd},
		{name: "watch", usage: "[--scan D] [--inputs]", summary: "print events (devices, readings, errors) until interrupted", connects: true, flags: watchCmd},
		{name: "serve", usage: "[--listen URL]... [--simulate NAME]... [Intiface Engine flags]", summary: "run the embedded Buttplug server for any client; takes Intiface Engine's flags", flags: serveCmd},
		{name: "plugins", summary: "list discovered connector plugins", flags: pluginsCmd},
	}
}

// run executes bphost with args and returns the exit code: 0 on success,
// 1 when the command failed, 2 for a bad command line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	return a.main(ctx, args)
}

func (a *app) main(ctx context.Context, args []string) int {
	err := a.dispatch(ctx, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(a.stderr, "bphost: %s\nRun 'bphost help' for usage.\n", strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(a.stderr, "bphost: interrupted")
		return interruptStatus(ctx)
	default:
		fmt.Fprintf(a.stderr, "bphost: %v\n", err)
		return 1
	}
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	// Global flags may come before the command name.
	pre := newFlagSet("bphost", &a.g)
	if err := parseFlags(pre, &a.g, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout)
		}
		return err
	}
	rest := pre.Args()
	if len(rest) == 0 {
		a.usage(a.stderr)
		return usageError("no command given")
	}
	name, rest := rest[0], rest[1:]
	switch name {
	case "help", "-h", "--help":
		if len(rest) > 0 {
			return a.commandHelp(rest[0])
		}
		a.usage(a.stdout)
		return nil
	case "version", "--version":
		fmt.Fprintf(a.stdout, "bphost %s\n", version())
		return nil
	}
	cmd, ok := findCommand(name)
	if !ok {
		return usageError("unknown command %q", name)
	}
	fs := newFlagSet(name, &a.g)
	run := cmd.flags(a, fs)
	if err := parseFlags(fs, &a.g, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.printCommandHelp(a.stdout, cmd, fs)
		}
		return err
	}
	if fs.NArg() > 0 {
		return usageError("%s: unexpected argument %q", name, fs.Arg(0))
	}
	path, required := configPath(a.g.configPath)
	c, err := loadConfig(path, required)
	if err != nil {
		return err
	}
	a.g.applyConfig(c)
	if len(a.g.simulate) > 0 && a.g.connector != "embedded" && cmd.connects {
		return usageError("--simulate is an option of the embedded connector, not of %q", a.g.connector)
	}
	if a.g.timeout <= 0 {
		return usageError("--timeout must be positive")
	}
	return run(ctx)
}

// aliases are other names of commands, as DESIGN.md and other Buttplug
// tools call them.
var aliases = map[string]string{"linear": "position", "sensor": "read", "list": "devices"}

func findCommand(name string) (command, bool) {
	if to, ok := aliases[name]; ok {
		name = to
	}
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `bphost drives Buttplug devices through connector plugins.

Usage: bphost [global flags] <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help CMD   flags of one command
  version    print the version

Global flags (accepted before or after the command):
`)
	fs := newFlagSet("bphost", &globals{})
	printDefaults(w, fs)
	fmt.Fprint(w, `
The default connector, embedded, runs a Buttplug server inside its plugin:
  bphost --simulate "Lovense Hush" vibrate --device 0 --level 0.5 --duration 1s
Intiface Central/Engine listens on ws://127.0.0.1:12345:
  bphost --connector websocket devices
`)
}

func (a *app) commandHelp(name string) error {
	cmd, ok := findCommand(name)
	if !ok {
		return usageError("unknown command %q", name)
	}
	fs := newFlagSet(name, &globals{})
	cmd.flags(a, fs)
	a.printCommandHelp(a.stdout, cmd, fs)
	return nil
}

func (a *app) printCommandHelp(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: bphost %s %s\n\n%s.\n\nFlags:\n", cmd.name, cmd.usage, cmd.summary)
	printDefaults(w, fs)
}
