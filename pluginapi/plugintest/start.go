package plugintest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
)

// StartFunc starts the plugin under test; the plugin is closed when the
// test ends.
type StartFunc func(t testing.TB) *host.Plugin

// InProcess runs tr through the plugin contract inside the test process
// (host.NewInProcess): no binary, same gRPC path.
func InProcess(tr pluginapi.Transport) StartFunc {
	return func(t testing.TB) *host.Plugin {
		t.Helper()
		p, err := host.NewInProcess(tr, host.Config{Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("in-process plugin: %v", err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
}

// Binary launches the plugin executable at path (see Build) with cfg; a nil
// cfg.Logger logs to the test.
func Binary(path string, cfg host.Config) StartFunc {
	return func(t testing.TB) *host.Plugin {
		t.Helper()
		if cfg.Logger == nil {
			cfg.Logger = testLogger(t)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		p, err := host.Launch(ctx, path, cfg)
		if err != nil {
			t.Fatalf("launch %s: %v", path, err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
}

// Build compiles the main package pkg (an import path, or a directory such
// as ".") into a temporary directory as the executable of plugin name
// (bphost-connector-<name>) and returns its path. Tests that need it more
// than once build it once, e.g. with BuildDir from TestMain.
func Build(t testing.TB, pkg, name string) string {
	t.Helper()
	path, err := BuildDir(t.TempDir(), pkg, name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// BuildDir is Build into dir.
func BuildDir(dir, pkg, name string) (string, error) {
	out := filepath.Join(dir, host.ExecutableName(name))
	// Under go test, PATH starts with the running toolchain's bin.
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}
