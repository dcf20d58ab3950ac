package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/hashicorp/go-hclog"
)

// pluginLauncher starts connector plugins found in the plugin directories.
type pluginLauncher struct {
	dirs []string
	cfg  host.Config
}

// newPluginLauncher reads the checksum file, when one is set, so that a bad
// file fails before any plugin starts.
func (a *app) newPluginLauncher(log hclog.Logger) (*pluginLauncher, error) {
	sums, err := a.checksums()
	if err != nil {
		return nil, err
	}
	return &pluginLauncher{dirs: host.Dirs(a.g.pluginDirs...), cfg: host.Config{Logger: log, Checksums: sums}}, nil
}

func (a *app) checksums() (*host.Checksums, error) {
	if a.g.checksums == "" {
		return nil, nil
	}
	sums, err := host.LoadChecksums(a.g.checksums)
	if err != nil {
		return nil, fmt.Errorf("checksum file: %w", err)
	}
	return sums, nil
}

func (p *pluginLauncher) Launch(ctx context.Context, name string, opts map[string]string, _ hclog.Logger) (connector.Connector, func(), error) {
	plug, err := p.start(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	conn := plug.Connector(opts)
	return conn, func() { _ = conn.Close(); _ = plug.Close() }, nil
}

// start finds the plugin of a connector and starts it.
func (p *pluginLauncher) start(ctx context.Context, name string) (*host.Plugin, error) {
	found, err := host.Discover(p.dirs).Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("connector %q: %w", name, err)
	}
	plug, err := host.Launch(ctx, found.Path, p.cfg)
	if err != nil {
		return nil, fmt.Errorf("connector %q: %w", name, err)
	}
	return plug, nil
}

// pluginInfo is one plugin in `bphost plugins`.
type pluginInfo struct {
	Name     string       `json:"name"`
	Version  string       `json:"version,omitempty"`
	Contract int          `json:"contract_version,omitempty"`
	Summary  string       `json:"summary,omitempty"`
	Path     string       `json:"path"`
	Checksum string       `json:"checksum"`
	Error    string       `json:"error,omitempty"`
	Options  []optionInfo `json:"options,omitempty"`
	Shadowed []string     `json:"shadowed,omitempty"`
}

type optionInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Default  string `json:"default,omitempty"`
	Required bool   `json:"required,omitempty"`
	Help     string `json:"help,omitempty"`
}

// pluginsReport is `bphost plugins --json`.
type pluginsReport struct {
	Dirs     []string     `json:"dirs"`
	Plugins  []pluginInfo `json:"plugins"`
	Problems []string     `json:"problems,omitempty"`
}

func pluginsCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	return func(ctx context.Context) error {
		log, err := newLogger(a.stderr, a.g.logLevel)
		if err != nil {
			return err
		}
		sums, err := a.checksums()
		if err != nil {
			return err
		}
		cat := host.Discover(host.Dirs(a.g.pluginDirs...))
		rep := pluginsReport{Dirs: cat.Dirs, Plugins: []pluginInfo{}}
		for _, p := range cat.Problems {
			rep.Problems = append(rep.Problems, p.Error())
		}
		for _, f := range cat.Plugins {
			rep.Plugins = append(rep.Plugins, describePlugin(ctx, f, sums, log))
		}
		if a.g.json {
			return writeJSON(a.stdout, rep)
		}
		printPlugins(a, rep)
		return nil
	}
}

// describePlugin checks a plugin and starts it to read its description.
func describePlugin(ctx context.Context, f host.Found, sums *host.Checksums, log hclog.Logger) pluginInfo {
	info := pluginInfo{Name: f.Name, Path: f.Path, Shadowed: f.Shadowed, Checksum: "not checked (no checksum file)"}
	if err := host.Verify(f.Path, sums); err != nil {
		switch {
		case errors.Is(err, host.ErrChecksumMismatch):
			info.Checksum = "MISMATCH"
		case errors.Is(err, host.ErrNotListed):
			info.Checksum = "not listed"
		case errors.Is(err, host.ErrInsecure):
			info.Checksum = "not checked: insecure location"
		default:
			info.Checksum = "not checked: unreadable"
		}
		info.Error = err.Error()
		return info
	}
	if sums != nil {
		info.Checksum = "ok"
	}
	p, err := host.Launch(ctx, f.Path, host.Config{Logger: log, Checksums: sums})
	if err != nil {
		info.Error = err.Error()
		return info
	}
	defer p.Close()
	d := p.Description()
	info.Version, info.Contract, info.Summary = d.Version, d.ContractVersion, d.Summary
	for _, o := range d.Options {
		typ := o.Type
		if typ == 0 {
			typ = pluginapi.OptionString
		}
		info.Options = append(info.Options, optionInfo{Name: o.Name, Type: typ.String(), Default: o.Default, Required: o.Required, Help: o.Help})
	}
	return info
}

func printPlugins(a *app, rep pluginsReport) {
	w := a.stdout
	fmt.Fprintf(w, "searched: %s\n", strings.Join(rep.Dirs, ", "))
	if len(rep.Plugins) == 0 {
		fmt.Fprintln(w, "no plugins found (build them with `make build`, or add a directory with --plugin-dir)")
	}
	for _, p := range rep.Plugins {
		fmt.Fprintf(w, "\n%s %s  %s\n", p.Name, p.Version, p.Summary)
		fmt.Fprintf(w, "  path:     %s\n", p.Path)
		fmt.Fprintf(w, "  checksum: %s\n", p.Checksum)
		for _, s := range p.Shadowed {
			fmt.Fprintf(w, "  shadowed: %s (not used: an earlier directory has %s)\n", s, p.Name)
		}
		if p.Error != "" {
			fmt.Fprintf(w, "  error:    %s\n", p.Error)
			continue
		}
		if len(p.Options) > 0 {
			fmt.Fprintln(w, "  options:")
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, o := range p.Options {
				def := o.Default
				if o.Required {
					def = "(required)"
				} else if def == "" {
					def = "-"
				}
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", o.Name, o.Type, def, o.Help)
			}
			tw.Flush()
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "\nproblem: %s\n", p)
	}
}
