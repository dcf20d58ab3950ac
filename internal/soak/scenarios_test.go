//go:build linux

package soak

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/core/embedded"
)

// scenario is one kind of run: a process (and what it starts) against a
// server, faulted at random.
type scenario struct {
	name string
	run  func() (outcome, error)
}

// scenarios lists what the soak runs: our Go client over each transport,
// the npm clients over ws, and the bphost CLI through each connector
// plugin. What cannot run here (no node, no peers) is skipped, with why;
// SOAK_ONLY=text keeps the scenarios whose name holds text.
func scenarios(t *testing.T, dir string, pinged, npm *rig, st *stats) (scs []scenario, skipped []string) {
	t.Helper()
	for _, scheme := range []string{"ws", "tcp", "unix"} {
		url := pinged.urls[scheme]
		scs = append(scs, scenario{"go client " + scheme, func() (outcome, error) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), clientEnv+"="+url)
			return runFaulted(cmd, []string{"client"})
		}})
	}
	if peers, why := peersDir(); why != "" {
		skipped = append(skipped, "npm clients: "+why)
	} else {
		script, err := filepath.Abs(filepath.Join("testdata", "npm-client.js"))
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range []string{"buttplug", "bp3"} {
			scs = append(scs, scenario{"npm " + pkg, func() (outcome, error) {
				cmd := exec.Command("node", script, npm.urls["ws"])
				cmd.Env = append(os.Environ(), "BPHOST_PEERS_DIR="+peers, "BP="+pkg)
				return runFaulted(cmd, []string{"client"})
			}})
		}
	}
	bin := buildBphost(t, dir)
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "BPHOST_CONFIG=", "BPHOST_PLUGIN_PATH=", "XDG_CONFIG_HOME="+home, "HOME="+home,
			"DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bphost-soak-no-system-bus")
		return cmd
	}
	vibrate := func() []string {
		return []string{"vibrate", "--device", fmt.Sprint(rand.IntN(2)), "--level", fmt.Sprintf("%.2f", float64(1+rand.IntN(19))/20),
			"--duration", fmt.Sprintf("%dms", 200+rand.IntN(2500))}
	}
	hostAndPlugin := []string{"host", "plugin"}
	for _, p := range []struct{ connector, opt string }{
		{"websocket", "address=" + pinged.urls["ws"]},
		{"tcp", "address=" + strings.TrimPrefix(pinged.urls["tcp"], "tcp://")},
		{"ipc", "path=" + strings.TrimPrefix(pinged.urls["unix"], "unix://")},
	} {
		scs = append(scs, scenario{"bphost --connector " + p.connector, func() (outcome, error) {
			return runFaulted(cli(append([]string{"--connector", p.connector, "--opt", p.opt}, vibrate()...)...), hostAndPlugin)
		}})
	}
	scs = append(scs, scenario{"bphost --connector embedded", func() (outcome, error) {
		return embeddedRun(cli, vibrate(), st)
	}})
	if only := os.Getenv("SOAK_ONLY"); only != "" {
		var kept []scenario
		for _, sc := range scs {
			if strings.Contains(sc.name, only) {
				kept = append(kept, sc)
			}
		}
		scs = kept
	}
	return scs, skipped
}

// embeddedRun is one run of the embedded plugin, whose server and toys
// live in the plugin process: what its toys receive comes back on a
// record socket, and once the run is over every motor must be stopped —
// unless the plugin was killed (by the soak, or by the host's watchdog
// when frozen past its limit), when its toys died with it.
func embeddedRun(cli func(...string) *exec.Cmd, vibrate []string, st *stats) (outcome, error) {
	run := newTally()
	recs, err := listenRecords(func(r embedded.DeviceRecord) {
		if r.Kind == "write" {
			run.write(r.Device, r.Data)
		}
	})
	if err != nil {
		return outcome{}, err
	}
	args := append([]string{"--connector", "embedded", "--simulate", "Lovense Hush", "--simulate", "Lovense Edge",
		"--opt", "record-socket=" + recs.path}, vibrate...)
	o, err := runFaulted(cli(args...), []string{"host", "plugin"})
	cut, cerr := recs.close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return o, err
	}
	if cut > 0 && !o.pluginKilled && !o.hungKilled {
		// A plugin killed mid-line leaves half a record; else it is worth
		// a look (what was cut short may show as a stop missed below).
		fmt.Fprintf(os.Stderr, "embedded plugin: %d record streams cut short (%s)\n", cut, o.fault)
		st.mu.Lock()
		st.cutStreams++
		st.mu.Unlock()
	}
	moving := run.stillMoving()
	st.embedded.mu.Lock()
	defer st.embedded.mu.Unlock()
	st.embedded.writes += run.writes
	if run.writes > 0 {
		st.embedded.sessions++
	}
	if o.pluginKilled || o.hungKilled {
		st.mu.Lock()
		st.diedWithPlugin += len(moving)
		st.mu.Unlock()
		return o, nil
	}
	st.embedded.stopMissed += len(moving)
	for _, dev := range moving {
		fmt.Fprintf(os.Stderr, "STOP MISSED: embedded plugin: %s still moving after its run ended (%s)\n", dev, o.fault)
	}
	if len(moving) > 0 {
		fmt.Fprintf(os.Stderr, "bphost %v printed:\n%s\n", args, o.stderr)
	}
	return o, nil
}

// peersDir is the interop/peers folder with its node_modules installed,
// or why there is none.
func peersDir() (dir, why string) {
	dir = os.Getenv("BPHOST_PEERS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "interop", "peers")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err.Error()
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", "no node: " + err.Error()
	}
	for _, pkg := range []string{"buttplug", "bp3", "ws"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			return "", fmt.Sprintf("%s not installed in %s (npm ci there, or set BPHOST_PEERS_DIR)", pkg, dir)
		}
	}
	return dir, ""
}

// buildBphost builds bphost and every plugin into dir/bin, plugins in
// bin/plugins beside bphost where it finds them.
func buildBphost(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	builds := [][2]string{{"bphost", "../../cmd/bphost"}}
	for _, p := range []string{"websocket", "tcp", "ipc", "embedded"} {
		builds = append(builds, [2]string{filepath.Join("plugins", "bphost-connector-"+p), "../../plugins/" + p})
	}
	for _, b := range builds {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, b[0]), b[1]).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	return filepath.Join(bin, "bphost")
}

// records is a record socket whose streams are read to their end: once
// the processes that write them are gone, close returns after the last
// record (embedded.RecordListener would cut the streams it finds open).
type records struct {
	path string
	ln   net.Listener
	dir  string
	wg   sync.WaitGroup
	mu   sync.Mutex
	cut  int // streams that ended inside a record
}

func listenRecords(fn func(embedded.DeviceRecord)) (*records, error) {
	dir, err := os.MkdirTemp("", "bpsoak-records-")
	if err != nil {
		return nil, fmt.Errorf("record socket: %w", err)
	}
	r := &records{path: filepath.Join(dir, "records.sock"), dir: dir}
	if r.ln, err = net.Listen("unix", r.path); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("record socket: %w", err)
	}
	var fnMu sync.Mutex
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := r.ln.Accept()
			if err != nil {
				return // closed
			}
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				defer c.Close()
				err := embedded.ReadRecords(c, func(rec embedded.DeviceRecord) {
					fnMu.Lock()
					defer fnMu.Unlock()
					fn(rec)
				})
				if err != nil {
					r.mu.Lock()
					r.cut++
					r.mu.Unlock()
				}
			}()
		}
	}()
	return r, nil
}

// close stops accepting and waits, at most 10 s, for the streams to end;
// it returns how many ended inside a record (or with one it could not read).
func (r *records) close() (cut int, err error) {
	r.ln.Close()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	defer os.RemoveAll(r.dir)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return 0, errors.New("record streams still open 10 s after their writers ended")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cut, nil
}
