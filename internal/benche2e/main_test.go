package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bphost/bphost/pluginapi/plugintest"
)

// build compiles pkg into dir/name.
func build(t *testing.T, dir, name, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
}

// peersDir is where the npm peers are installed, as the interop tests find
// them.
func peersDir() string {
	if d := os.Getenv("BPHOST_PEERS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "interop", "peers")
}

// The runner, built as make builds it, produces every row of the table with
// numbers that make sense, and the goals, on a tiny run. Timing is not
// judged: only that each row was measured.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bphost and three plugins")
	}
	bin := t.TempDir()
	build(t, bin, "bphost", "github.com/bphost/bphost/cmd/bphost")
	build(t, bin, "benche2e", ".")
	plugins := filepath.Join(bin, "plugins")
	for name, pkg := range map[string]string{
		"websocket": "github.com/bphost/bphost/plugins/websocket",
		"embedded":  "github.com/bphost/bphost/plugins/embedded",
		"echo":      "./echoplugin",
	} {
		if _, err := plugintest.BuildDir(plugins, pkg, name); err != nil {
			t.Fatal(err)
		}
	}
	npm := true
	if _, err := exec.LookPath("node"); err != nil {
		npm = false
		t.Log("node not found: the npm row is not measured")
	} else if _, err := os.Stat(filepath.Join(peersDir(), "node_modules", "buttplug")); err != nil {
		npm = false
		t.Logf("npm peers not installed in %s (npm ci there): the npm row is not measured", peersDir())
	}
	js := filepath.Join(t.TempDir(), "table.json")
	cmd := exec.Command(filepath.Join(bin, "benche2e"), "-bin", bin, "-peers", peersDir(), "-json", js,
		"-npm="+map[bool]string{true: "true", false: "false"}[npm],
		"-warmup", "5", "-serial", "20", "-pipeline", "200", "-inflight", "8", "-devices-runs", "1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("benche2e: %v", err)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var tab Table
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatal(err)
	}
	want := []string{keyWSFloor, keyGRPCFloor, keyHop, keyWSHost, keyWSPlugin, keyNPM, keyInProc, keyEmbPlugin}
	if !npm {
		want = append(want[:5], want[6:]...)
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows, want %d (%v)", len(tab.Rows), len(want), want)
	}
	for i, r := range tab.Rows {
		if r.Key != want[i] {
			t.Errorf("row %d is %s, want %s", i, r.Key, want[i])
		}
		if r.Err != "" {
			t.Errorf("%s failed: %s", r.Key, r.Err)
		}
		res := r.Result
		if res.P50 <= 0 || res.P99 < res.P50 || res.Throughput <= 0 {
			t.Errorf("%s: p50 %v p99 %v throughput %v: not a measurement", r.Key, res.P50, res.P99, res.Throughput)
		}
		if !strings.Contains(string(out), r.What) {
			t.Errorf("the printed table has no row %q", r.What)
		}
	}
	if tab.DevicesWall <= 0 {
		t.Errorf("bphost devices not timed: %v", tab.DevicesWall)
	}
	for _, g := range tab.goals() {
		if npm && !g.Known {
			t.Errorf("goal %q not judged", g.What)
		}
		if !strings.Contains(string(out), g.What) {
			t.Errorf("the printed goals have no %q", g.What)
		}
	}
}
