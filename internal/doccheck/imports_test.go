package doccheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// The import rules of DESIGN.md ("Target layout: layers and who may import
// whom") that a machine can check, on the non-test imports of every package,
// for each GOOS the project builds for. Paths are relative to the module.

const modulePath = "github.com/bphost/bphost/"

// under reports whether pkg is root or inside it.
func under(pkg, root string) bool {
	return pkg == root || strings.HasPrefix(pkg, root+"/")
}

// underAny reports whether pkg is under any of roots.
func underAny(pkg string, roots ...string) bool {
	for _, r := range roots {
		if under(pkg, r) {
			return true
		}
	}
	return false
}

// helpers are the module's small shared utilities, which any package may
// import: they know nothing of the layers.
var helpers = []string{"internal/observers", "internal/logbridge"}

// pluginName is the folder of a plugin under plugins/, or "".
func pluginName(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, "plugins/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// importRule is one rule: for each package it applies to, every project
// import (or every project dependency, when transitive) must be allowed.
type importRule struct {
	name       string // the rule as DESIGN.md says it
	applies    func(pkg string) bool
	allowed    func(pkg, imp string) bool
	transitive bool
}

var importRules = []importRule{
	{
		name:    "core/protocol imports nothing of the project",
		applies: func(p string) bool { return under(p, "core/protocol") },
		allowed: func(_, imp string) bool { return under(imp, "core/protocol") },
	},
	{
		name:       "core/client never depends on pluginapi, plugins/*, core/server or core/embedded (only on the Connector interface and the protocol)",
		applies:    func(p string) bool { return under(p, "core/client") },
		allowed:    func(_, imp string) bool { return underAny(imp, "core/client", "core/connector", "core/protocol") },
		transitive: true,
	},
	{
		name:    "core/* is host- and plugin-independent: it never imports pluginapi, plugins/* or cmd",
		applies: func(p string) bool { return under(p, "core") },
		allowed: func(_, imp string) bool { return !underAny(imp, "pluginapi", "plugins", "cmd") },
	},
	{
		name:    "core/connector (frame connections) knows nothing of clients, servers, devices or plugins",
		applies: func(p string) bool { return under(p, "core/connector") },
		allowed: func(_, imp string) bool {
			return underAny(imp, "core/connector", "core/framing", "core/protocol") || underAny(imp, helpers...)
		},
	},
	{
		name:    "core/server serves sessions over a DeviceManager and nothing else (no listeners, no assembly, no backends)",
		applies: func(p string) bool { return p == "core/server" },
		allowed: func(_, imp string) bool {
			return imp == "core/device" || underAny(imp, "core/connector", "core/protocol") || underAny(imp, helpers...)
		},
	},
	{
		name: "core/device talks to hardware only through the core/device/comm contract; backends are core/embedded's to pick",
		applies: func(p string) bool {
			return under(p, "core/device") && !under(p, "core/device/comm") && p != "core/device/simulated" && p != "core/device/devicetest"
		},
		allowed: func(_, imp string) bool {
			return (under(imp, "core/device") && !under(imp, "core/device/simulated") && !under(imp, "core/device/devicetest") &&
				(!under(imp, "core/device/comm") || imp == "core/device/comm")) ||
				under(imp, "core/protocol") || underAny(imp, helpers...)
		},
	},
	{
		name:    "core/device never imports the layers above it (server, embedded, client, httpapi)",
		applies: func(p string) bool { return under(p, "core/device") },
		allowed: func(_, imp string) bool {
			return !underAny(imp, "core/server", "core/embedded", "core/client", "core/httpapi")
		},
	},
	{
		name:    "core/embedded assembles server and devices for hosts and plugins, so it imports neither",
		applies: func(p string) bool { return under(p, "core/embedded") },
		allowed: func(_, imp string) bool { return !underAny(imp, "core/client", "core/httpapi") },
	},
	{
		name:    "pluginapi is the transport authors' contract: it depends on core/connector and its own internals only, never on the host side",
		applies: func(p string) bool { return p == "pluginapi" },
		allowed: func(_, imp string) bool {
			return under(imp, "core/connector") || (under(imp, "pluginapi/internal") && !under(imp, "pluginapi/internal/proc"))
		},
	},
	{
		name:    "pluginapi/* never depends on the client, the server, the devices or the plugins",
		applies: func(p string) bool { return under(p, "pluginapi") },
		allowed: func(_, imp string) bool {
			return !underAny(imp, "core/client", "core/server", "core/device", "core/embedded", "core/httpapi", "plugins", "cmd")
		},
		transitive: true,
	},
	{
		name:    "plugins/<name> imports only pluginapi and core/connector (and core/embedded for the embedded plugin), besides its own folder",
		applies: func(p string) bool { return pluginName(p) != "" },
		allowed: func(p, imp string) bool {
			name := pluginName(p)
			return imp == "pluginapi" || under(imp, "core/connector") || under(imp, "plugins/"+name) ||
				(name == "embedded" && imp == "core/embedded") || underAny(imp, helpers...)
		},
	},
}

// knownViolations are imports that break a rule today and are being moved
// (issue 11). Each entry must still exist: when the move lands, the test
// asks for the entry to be deleted, so the list only shrinks.
var knownViolations = map[string]string{}

// listedPackage is the part of `go list -json` the rules read.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listModule runs `go list -json ./...` for goos and returns the module's
// packages with their project imports and dependencies, module prefix cut.
func listModule(t *testing.T, root, goos string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=%s go list: %v\n%s", goos, err, stderr.String())
	}
	project := func(paths []string) []string {
		var rel []string
		for _, p := range paths {
			if r, ok := strings.CutPrefix(p, modulePath); ok {
				rel = append(rel, r)
			}
		}
		return rel
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("GOOS=%s go list output: %v", goos, err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, modulePath)
		if !ok {
			continue
		}
		pkgs = append(pkgs, listedPackage{ImportPath: rel, Imports: project(p.Imports), Deps: project(p.Deps)})
	}
	return pkgs
}

// violations checks pkgs against rules, one line per offending import,
// as "pkg -> imp".
func violations(pkgs []listedPackage, rules []importRule) map[string]string {
	found := map[string]string{}
	for _, p := range pkgs {
		for _, r := range rules {
			if !r.applies(p.ImportPath) {
				continue
			}
			imps := p.Imports
			if r.transitive {
				imps = p.Deps
			}
			for _, imp := range imps {
				if !r.allowed(p.ImportPath, imp) {
					found[p.ImportPath+" -> "+imp] = r.name
				}
			}
		}
	}
	return found
}

func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list three times")
	}
	root := moduleRoot(t)
	found := map[string]string{}
	for _, goos := range []string{"linux", "windows", "darwin"} {
		pkgs := listModule(t, root, goos)
		if len(pkgs) < 10 {
			t.Fatalf("GOOS=%s: go list found only %d packages", goos, len(pkgs))
		}
		for k, v := range violations(pkgs, importRules) {
			found[k] = v
		}
	}
	var bad, stale []string
	for k, rule := range found {
		if _, known := knownViolations[k]; !known {
			bad = append(bad, fmt.Sprintf("%s\n\tbreaks: %s", k, rule))
		}
	}
	for k := range knownViolations {
		if _, still := found[k]; !still {
			stale = append(stale, k)
		}
	}
	sort.Strings(bad)
	sort.Strings(stale)
	if len(bad) > 0 {
		t.Errorf("%d imports break DESIGN.md's import rules:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	if len(stale) > 0 {
		t.Errorf("these known violations are gone; delete them from knownViolations:\n%s", strings.Join(stale, "\n"))
	}
}

// TestImportRulesCatchViolations keeps the rules honest: a made-up tree
// with one offence per rule must yield each offence and nothing else.
func TestImportRulesCatchViolations(t *testing.T) {
	pkgs := []listedPackage{
		{ImportPath: "core/protocol", Imports: []string{"core/connector"}},
		{ImportPath: "core/client", Imports: []string{"core/connector"}, Deps: []string{"core/connector", "core/protocol", "core/server"}},
		{ImportPath: "core/server", Imports: []string{"core/device", "core/server/listen", "internal/observers"}},
		{ImportPath: "core/device", Imports: []string{"core/device/comm", "core/device/comm/btle", "core/device/config"}},
		{ImportPath: "core/device/comm/btle", Imports: []string{"core/device/comm"}},
		{ImportPath: "core/embedded", Imports: []string{"core/server", "core/device/comm/btle", "pluginapi"}},
		{ImportPath: "pluginapi", Imports: []string{"core/connector", "pluginapi/internal/wire", "pluginapi/host"}},
		{ImportPath: "pluginapi/host", Imports: []string{"pluginapi", "pluginapi/internal/proc"}, Deps: []string{"pluginapi", "core/device"}},
		{ImportPath: "plugins/tcp", Imports: []string{"pluginapi", "plugins/tcp/tcpconn", "plugins/ipc/ipcconn"}},
		{ImportPath: "plugins/embedded", Imports: []string{"pluginapi", "core/embedded", "core/server"}},
		{ImportPath: "plugins/ipc", Imports: []string{"pluginapi", "core/embedded", "core/connector/stream"}},
	}
	want := []string{
		"core/client -> core/server",
		"core/device -> core/device/comm/btle",
		"core/embedded -> pluginapi",
		"core/protocol -> core/connector",
		"core/server -> core/server/listen",
		"pluginapi -> pluginapi/host",
		"pluginapi/host -> core/device",
		"plugins/embedded -> core/server",
		"plugins/ipc -> core/embedded",
		"plugins/tcp -> plugins/ipc/ipcconn",
	}
	var got []string
	for k := range violations(pkgs, importRules) {
		got = append(got, k)
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
