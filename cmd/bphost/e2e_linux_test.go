//go:build linux

package main

// End-to-end tests: the real bphost binary and the four real plugin
// binaries, built once into a temporary bin/ with plugins/ beside bphost
// (the discovery rule users rely on), talking over loopback.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds bphost and every plugin once per test run.
func binaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end tests build binaries; skipped with -short")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "bphost-e2e")
		if buildErr != nil {
			return
		}
		builds := [][2]string{{"bphost", "."}}
		for _, p := range []string{"websocket", "tcp", "ipc", "embedded"} {
			builds = append(builds, [2]string{filepath.Join("plugins", "bphost-connector-"+p), "../../plugins/" + p})
		}
		for _, b := range builds {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, b[0]), b[1])
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	// Commands open Bluetooth LE by default: no test may reach the
	// machine's real system bus. BLE tests point this at their own bus.
	os.Setenv("DBUS_SYSTEM_BUS_ADDRESS", noSystemBus)
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// noSystemBus is a D-Bus address where no bus is.
const noSystemBus = "unix:path=/nonexistent/bphost-test-no-system-bus"

// bphost returns a command running the built bphost with no user config
// and no plugin path from the environment.
func bphost(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	dir := binaries(t)
	if ctx.Err() != nil {
		// exec would refuse to start with a bare "context deadline
		// exceeded": the first build of a run ate the caller's clock.
		t.Fatalf("bphost %v: %v before it started (call binaries(t) before starting the clock)", args, ctx.Err())
	}
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "bphost"), args...)
	cmd.Env = append(os.Environ(), "BPHOST_CONFIG=", "BPHOST_PLUGIN_PATH=", "XDG_CONFIG_HOME="+t.TempDir(), "HOME="+t.TempDir())
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runBphost runs bphost to the end and returns its exit code and output.
func runBphost(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runBphostEnv(t, nil, args...)
}

// runBphostEnv is runBphost with env added to the environment.
func runBphostEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	binaries(t) // built before the run's clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := bphost(t, ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("bphost %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

func TestE2EDemo(t *testing.T) {
	code, out, errs := runBphost(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"1. plugin   embedded", "spec v4", "Lovense Hush", "Vorze A10 Cyclone SA", "Lovense Solace Pro",
		`-> write tx "Vibrate:10;"`, "battery 85%", `-> write tx "Vibrate:0;"`, "done:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	noPluginsLeft(t)
}

// outputLines collects what a process prints, telling waiters of each line.
type outputLines struct {
	mu      sync.Mutex
	all     strings.Builder
	changed chan struct{}
}

func (o *outputLines) add(line string) {
	o.mu.Lock()
	o.all.WriteString(line + "\n")
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

func (o *outputLines) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.all.String()
}

// wait waits until the output contains want.
func (o *outputLines) wait(t *testing.T, want string) {
	t.Helper()
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for !strings.Contains(o.String(), want) {
		select {
		case <-o.changed:
		case <-limit.C:
			t.Fatalf("output lacks %q:\n%s", want, o)
		}
	}
}

// serve starts `bphost serve` and returns the URL it reports and what it
// prints.
func serve(t *testing.T, listen string) (url string, output *outputLines) {
	t.Helper()
	return serveWith(t, nil, "--listen", listen, "--simulate", "Lovense Hush")
}

// serveWith starts `bphost serve args...` with env added to its
// environment.
func serveWith(t *testing.T, env []string, args ...string) (url string, output *outputLines) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := bphost(t, ctx, append([]string{"serve"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	var errb bytes.Buffer
	epr, epw := io.Pipe()
	cmd.Stderr = io.MultiWriter(&errb, epw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	output = &outputLines{changed: make(chan struct{}, 1)}
	go func() {
		// Log lines are kept too, marked, for tests of warnings.
		sc := bufio.NewScanner(epr)
		for sc.Scan() {
			output.add("stderr: " + sc.Text())
		}
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			output.add(line)
			if _, rest, ok := strings.Cut(line, `" on `); ok && strings.HasPrefix(line, "bphost serve:") {
				urls <- rest
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close(); epw.Close() }()
	t.Cleanup(func() {
		cancel() // SIGINT: serve stops its devices and exits 0
		select {
		case err := <-exited:
			// Wait reports the cancelled context; the exit status says
			// whether serve stopped cleanly.
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("serve exited with status %d (%v)\n%s", code, err, errb.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve did not stop on interrupt")
		}
	})
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("serve exited early: %v\n%s", err, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not report its address\n%s", errb.String())
	}
	return url, output
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Each listener of `bphost serve` is reached through its plugin: the
// device's recorded bytes show the command arrived.
func TestE2EServeEachTransport(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bp.sock")
	tests := []struct {
		name, listen, connector string
		opt                     func(url string) string
	}{
		{"websocket", "ws://" + freePort(t), "websocket", func(u string) string { return "address=" + u }},
		{"tcp", "tcp://" + freePort(t), "tcp", func(u string) string { return "address=" + strings.TrimPrefix(u, "tcp://") }},
		{"unix", "unix://" + sock, "ipc", func(u string) string { return "path=" + strings.TrimPrefix(u, "unix://") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, output := serve(t, tt.listen)
			conn := []string{"--connector", tt.connector, "--opt", tt.opt(url)}
			code, out, errs := runBphost(t, append(conn, "devices", "--scan", "300ms")...)
			if code != 0 || !strings.Contains(out, "Lovense Hush") {
				t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
			}
			code, out, errs = runBphost(t, append(conn, "vibrate", "--device", "0", "--level", "0.5")...)
			if code != 0 || !strings.Contains(out, "vibrate feature 0 at 0.5") {
				t.Fatalf("vibrate: exit %d\n%s\n%s", code, out, errs)
			}
			output.wait(t, `Lovense Hush <- write tx "Vibrate:10;"`)
			// The client left, so the server stopped the device.
			output.wait(t, `Lovense Hush <- write tx "Vibrate:0;"`)
		})
	}
	noPluginsLeft(t)
}

func TestE2EServerAbsent(t *testing.T) {
	code, _, errs := runBphost(t, "--connector", "websocket", "--opt", "address=ws://"+freePort(t), "devices")
	if code != 1 || !strings.Contains(errs, "is Intiface or `bphost serve` running?") {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
}

// The embedded plugin runs the server in its own process; its log, which
// the host prints at info level, shows what the toy received.
func TestE2EEmbedded(t *testing.T) {
	code, out, errs := runBphost(t, "--simulate", "Lovense Hush", "--log-level", "info", "vibrate", "--device", "0", "--level", "0.5")
	if code != 0 || !strings.Contains(out, "vibrate feature 0 at 0.5") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"simulated device received", "text=Vibrate:10;"} {
		if !strings.Contains(errs, want) {
			t.Errorf("plugin log lacks %q:\n%s", want, errs)
		}
	}
	code, out, errs = runBphost(t, "--simulate", "Lovense Hush", "battery", "--device", "0")
	if code != 0 || !strings.Contains(out, "battery 85%") {
		t.Fatalf("battery: exit %d\n%s\n%s", code, out, errs)
	}
	noPluginsLeft(t)
}

func TestE2EPlugins(t *testing.T) {
	dir := binaries(t)
	code, out, errs := runBphost(t, "plugins", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rep pluginsReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := map[string]pluginInfo{}
	for _, p := range rep.Plugins {
		got[p.Name] = p
	}
	for _, name := range []string{"websocket", "tcp", "ipc", "embedded"} {
		p, ok := got[name]
		if !ok || p.Error != "" || p.Version == "" || len(p.Options) == 0 || p.Path != filepath.Join(dir, "plugins", "bphost-connector-"+name) {
			t.Errorf("plugin %s: %+v (found %v)", name, p, ok)
		}
	}

	// A plugin directory given with --plugin-dir comes first and shadows the
	// one beside bphost.
	extra := t.TempDir()
	copyFile(t, filepath.Join(dir, "plugins", "bphost-connector-tcp"), filepath.Join(extra, "bphost-connector-tcp"))
	code, out, _ = runBphost(t, "plugins", "--plugin-dir", extra)
	if code != 0 || !strings.Contains(out, filepath.Join(extra, "bphost-connector-tcp")) || !strings.Contains(out, "shadowed: "+filepath.Join(dir, "plugins", "bphost-connector-tcp")) {
		t.Errorf("shadowing: exit %d\n%s", code, out)
	}

	// With a checksum file, a plugin whose sha256 differs is refused.
	sums := filepath.Join(t.TempDir(), "plugins.sha256")
	if err := os.WriteFile(sums, []byte(strings.Repeat("0", 64)+"  bphost-connector-embedded\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runBphost(t, "--checksums", sums, "plugins")
	if code != 0 || !strings.Contains(out, "checksum: MISMATCH") || !strings.Contains(out, "checksum: not listed") {
		t.Errorf("checksums listing: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runBphost(t, "--checksums", sums, "devices")
	if code != 1 || !strings.Contains(errs, "checksum") || !strings.Contains(errs, "bphost-connector-embedded") {
		t.Errorf("checksum mismatch not refused: exit %d\n%s", code, errs)
	}

	// A world-writable plugin is refused, naming the file.
	ww := t.TempDir()
	copyFile(t, filepath.Join(dir, "plugins", "bphost-connector-embedded"), filepath.Join(ww, "bphost-connector-embedded"))
	if err := os.Chmod(filepath.Join(ww, "bphost-connector-embedded"), 0o777); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runBphost(t, "--plugin-dir", ww, "devices")
	if code != 1 || !strings.Contains(errs, filepath.Join(ww, "bphost-connector-embedded")) || !strings.Contains(errs, "writable") {
		t.Errorf("world-writable plugin not refused: exit %d\n%s", code, errs)
	}

	code, _, errs = runBphost(t, "--connector", "nosuch", "devices")
	if code != 1 || !strings.Contains(errs, `"nosuch"`) {
		t.Errorf("unknown connector: exit %d\n%s", code, errs)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// startWatch starts bphost with args (a watch) and returns once it printed
// a line containing ready. done receives the end of the process.
func startWatch(t *testing.T, ctx context.Context, ready string, args ...string) (cmd *exec.Cmd, stderr *bytes.Buffer, done <-chan error) {
	t.Helper()
	cmd = bphost(t, ctx, args...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait(); pw.Close() }()
	sc := bufio.NewScanner(pr)
	for !strings.Contains(sc.Text(), ready) {
		if !sc.Scan() {
			t.Fatalf("bphost %v ended before printing %q: %s", args, ready, stderr)
		}
	}
	go io.Copy(io.Discard, pr)
	return cmd, stderr, ended
}

// Killing the plugin under `bphost watch` ends watch with a clear message
// and a failure status, and leaves no process behind.
func TestE2EKillPluginDuringWatch(t *testing.T) {
	binaries(t) // built before the clock starts: a cold build can take a minute
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, errb, done := startWatch(t, ctx, "device added 0: Lovense Hush", "--simulate", "Lovense Hush", "watch", "--scan", "200ms")
	plugins := pluginProcesses(t)
	if len(plugins) != 1 {
		t.Fatalf("plugin processes %v, want one", plugins)
	}
	killed := time.Now()
	if err := syscall.Kill(plugins[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("watch ended %s after the kill", time.Since(killed).Round(time.Millisecond))
		if cmd.ProcessState.ExitCode() != 1 {
			t.Errorf("exit status %v, want 1", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("watch did not end after its plugin was killed")
	}
	msg := errb.String()
	for _, want := range []string{"connection lost", "plugin", "killed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	noPluginsLeft(t)
}

// An interrupt ends watch normally and takes the plugin down with it.
func TestE2EInterruptWatch(t *testing.T) {
	binaries(t) // built before the clock starts: a cold build can take a minute
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, errb, done := startWatch(t, ctx, "connected to", "--simulate", "Lovense Hush", "watch", "--scan", "0")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("watch after interrupt: %v\n%s", err, errb)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("watch did not end on interrupt")
	}
	noPluginsLeft(t)
}

// pluginProcesses lists running processes started from the test's plugin
// binaries.
func pluginProcesses(t *testing.T) []int {
	t.Helper()
	dir := filepath.Join(binaries(t), "plugins")
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || !strings.HasPrefix(exe, dir+string(filepath.Separator)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue // a zombie has exited
		}
		pids = append(pids, pid)
	}
	return pids
}

// noPluginsLeft fails if a plugin process is still running a moment after
// its host ended.
func noPluginsLeft(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		left := pluginProcesses(t)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin processes left running: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A command line written for Intiface Engine runs `bphost serve`: our
// client reaches it on --websocket-port through the websocket plugin and
// sees the --server-name.
func TestE2EServeEngineFlags(t *testing.T) {
	_, port, _ := net.SplitHostPort(freePort(t))
	url, output := serveWith(t, nil, "--websocket-port", port, "--server-name", "Engine Test", "--max-ping-time", "0",
		"--log", "warn", "--use-bluetooth-le=false", "--simulate", "Lovense Hush")
	if url != "ws://127.0.0.1:"+port {
		t.Fatalf("serving on %s, want ws://127.0.0.1:%s", url, port)
	}
	output.wait(t, `Buttplug server "Engine Test"`)
	conn := []string{"--connector", "websocket", "--opt", "address=" + url}
	code, out, errs := runBphost(t, append(conn, "devices", "--scan", "300ms")...)
	if code != 0 || !strings.Contains(out, "Lovense Hush") {
		t.Fatalf("devices: exit %d\n%s\n%s", code, out, errs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, errb, done := startWatch(t, ctx, `connected to "Engine Test"`, append(conn, "watch", "--scan", "0")...)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("watch did not end on interrupt\n%s", errb)
	}
	code, _, errs = runBphost(t, "serve", "--websocket-port", port, "--use-lovense-connect")
	if code != 2 || !strings.Contains(errs, "--use-lovense-connect is an Intiface Engine flag bphost does not support") {
		t.Fatalf("refused flag: exit %d\n%s", code, errs)
	}
	noPluginsLeft(t)
}
