package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/bphost/bphost/pluginapi/internal/wire"
)

// EnvPluginPath names the environment variable that lists plugin
// directories, separated by os.PathListSeparator (":" on Unix, ";" on
// Windows).
const EnvPluginPath = "BPHOST_PLUGIN_PATH"

// exeSuffix ends plugin executables' names on this OS.
var exeSuffix = map[bool]string{true: ".exe", false: ""}[runtime.GOOS == "windows"]

// Dirs returns the plugin directories in search order: explicit (e.g. from
// --plugin-dir flags), then the entries of BPHOST_PLUGIN_PATH, then
// os.UserConfigDir()/bphost/plugins, then plugins/ beside the running
// executable. Empty entries and repeats are dropped; directories need not
// exist.
func Dirs(explicit ...string) []string {
	dirs := slices.Clone(explicit)
	dirs = append(dirs, filepath.SplitList(os.Getenv(EnvPluginPath))...)
	if cfg, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(cfg, "bphost", "plugins"))
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "plugins"))
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// Found is a plugin executable Discover found.
type Found struct {
	// Name is the transport's name, from the file name
	// (bphost-connector-<Name>).
	Name string
	// Path is the executable that is used: the one in the earliest
	// directory.
	Path string
	// Shadowed are executables of the same name in later directories, not
	// used.
	Shadowed []string
}

// Catalog is what Discover found.
type Catalog struct {
	// Dirs are the directories searched, in order.
	Dirs []string
	// Plugins are the plugins found, sorted by name.
	Plugins []Found
	// Problems are what could not be used: unreadable directories, plugin
	// files that are not executable. Missing directories are not problems.
	Problems []error
}

// Discover looks for plugin executables (bphost-connector-<name>, with .exe
// on Windows) in dirs, in order; for a name found in more than one
// directory, the earliest wins and the others are reported as shadowed.
func Discover(dirs []string) Catalog {
	cat := Catalog{Dirs: slices.Clone(dirs)}
	byName := map[string]int{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				cat.Problems = append(cat.Problems, fmt.Errorf("plugin directory %s: %w", dir, err))
			}
			continue
		}
		for _, e := range entries {
			name, ok := transportName(e.Name())
			if !ok {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if err := checkExecutable(path); err != nil {
				cat.Problems = append(cat.Problems, err)
				continue
			}
			if i, dup := byName[name]; dup {
				cat.Plugins[i].Shadowed = append(cat.Plugins[i].Shadowed, path)
				continue
			}
			byName[name] = len(cat.Plugins)
			cat.Plugins = append(cat.Plugins, Found{Name: name, Path: path})
		}
	}
	slices.SortFunc(cat.Plugins, func(a, b Found) int { return strings.Compare(a.Name, b.Name) })
	return cat
}

// transportName returns the transport name in a plugin executable's file
// name.
func transportName(file string) (string, bool) {
	rest, ok := strings.CutPrefix(file, executablePrefix)
	if !ok {
		return "", false
	}
	if exeSuffix != "" {
		if rest, ok = strings.CutSuffix(strings.ToLower(rest), exeSuffix); !ok {
			return "", false
		}
	}
	return rest, wire.NameRE.MatchString(rest)
}

// checkExecutable reports a plugin file that cannot be run.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("plugin %s: not a regular file, skipped", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("plugin %s: not executable (mode %s), skipped; fix it with: chmod +x %s", path, fi.Mode().Perm(), path)
	}
	return nil
}

// Lookup returns the plugin named name, or an error wrapping ErrNoPlugin
// that lists what there is and where it looked.
func (c Catalog) Lookup(name string) (Found, error) {
	for _, f := range c.Plugins {
		if f.Name == name {
			return f, nil
		}
	}
	have := make([]string, len(c.Plugins))
	for i, f := range c.Plugins {
		have[i] = f.Name
	}
	found := "none"
	if len(have) > 0 {
		found = strings.Join(have, ", ")
	}
	return Found{}, fmt.Errorf("%w named %q (no %s in %s; found: %s)",
		ErrNoPlugin, name, ExecutableName(name), strings.Join(c.Dirs, string(os.PathListSeparator)), found)
}
