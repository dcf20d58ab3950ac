package host_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/internal/testtransport"
	"github.com/bphost/bphost/pluginapi/plugintest"
	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"
)

// Plugin binaries built once for the package's tests.
var (
	linetcpBin string // bphost-connector-linetcp
	foreignBin string // a go-plugin plugin of another program
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(hostHelper())
	}
	flag.Parse()
	if fuzzOrList() {
		// Listing tests and running fuzz targets (each fuzz worker runs
		// TestMain too) need no plugin binaries; building them there would
		// cost seconds per process.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "pluginapi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		const base = "github.com/bphost/bphost/pluginapi/internal/testtransport/"
		if linetcpBin, err = plugintest.BuildDir(dir, base+"linetcp", testtransport.Name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if foreignBin, err = plugintest.BuildDir(dir, base+"foreign", "foreign"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		code := m.Run()
		if code == 0 {
			if err := leftoverChildren(); err != nil {
				fmt.Fprintln(os.Stderr, "FAIL:", err)
				return 1
			}
			if err := goleak.Find(); err != nil {
				fmt.Fprintln(os.Stderr, "FAIL: goroutines left behind:", err)
				return 1
			}
		}
		return code
	}()
	os.Exit(code)
}

// fuzzOrList reports whether this process only lists tests or fuzzes.
func fuzzOrList() bool {
	for _, name := range []string{"test.list", "test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// testCtx bounds a test so that a bug is a failure, not a hang.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// logBuffer collects a host's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Debug, Output: l})
}

// launch starts the plugin at path and closes it when the test ends.
func launch(t *testing.T, path string, cfg host.Config) *host.Plugin {
	t.Helper()
	p, err := host.Launch(testCtx(t), path, cfg)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// copyPlugin copies the plugin binary at src into dir (created with mode)
// and returns the copy's path.
func copyPlugin(t *testing.T, src, dir string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// waitGone waits until process pid is gone (or a zombie), and fails the
// test if it is still there after a few seconds.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Errorf("%s: process %d still runs", what, pid)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustContain fails unless err's text has every part.
func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}
