// Package peerstest gives interop tests the Buttplug implementations
// written by others that live in interop/peers (the npm clients and the
// reference server compiled to WASM): where they are, and a way to run
// their node programs.
package peerstest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Dir returns the peers folder: $BPHOST_PEERS_DIR, else interop/peers at
// the module root. It skips the test, saying what is missing, when node is
// not installed or a module of need is not under the folder's node_modules.
func Dir(t testing.TB, need ...string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("interop: node is not installed; install Node.js 20+ to run the peers")
	}
	dir := os.Getenv("BPHOST_PEERS_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; dir == ""; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "interop", "peers")
			} else if filepath.Dir(d) == d {
				t.Fatal("interop: no go.mod above " + wd)
			}
		}
	}
	for _, m := range need {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m)); err != nil {
			t.Skipf("interop: %s has no node_modules/%s; run `npm ci` there (or set BPHOST_PEERS_DIR)", dir, m)
		}
	}
	return dir
}

// Process is a running node program whose output lines are kept.
type Process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process is gone
	waitErr error         // set before exited closes

	mu     sync.Mutex
	lines  []string
	notify chan struct{}
}

// Start runs `node args...` in dir with env added to the environment. The
// process is killed when the test ends.
func Start(t testing.TB, dir string, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	p := &Process{cmd: cmd, exited: make(chan struct{}), notify: make(chan struct{}, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatalf("interop: starting node: %v", err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			p.add(sc.Text())
		}
	}()
	go func() {
		<-read // Wait closes the pipe: read it to the end first
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() || testing.Verbose() {
			t.Logf("output of node %s:\n%s", strings.Join(args, " "), strings.Join(p.Lines(), "\n"))
		}
	})
	return p
}

// Stop kills the program and waits until it is gone.
func (p *Process) Stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (p *Process) add(line string) {
	p.mu.Lock()
	p.lines = append(p.lines, line)
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Lines returns the output so far.
func (p *Process) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// WaitLine returns the index of the first output line from index from on
// that matches re.
func (p *Process) WaitLine(ctx context.Context, from int, re *regexp.Regexp) (int, error) {
	for {
		lines := p.Lines()
		for i := from; i < len(lines); i++ {
			if re.MatchString(lines[i]) {
				return i, nil
			}
		}
		select {
		case <-p.notify:
		case <-p.exited:
			if len(p.Lines()) == len(lines) {
				return 0, fmt.Errorf("node exited (%v) with no line matching %q", p.waitErr, re)
			}
		case <-ctx.Done():
			return 0, fmt.Errorf("no output line matching %q: %w", re, ctx.Err())
		}
	}
}

// Wait waits for the program to exit and returns its output.
func (p *Process) Wait(ctx context.Context) ([]string, error) {
	select {
	case <-p.exited:
		return p.Lines(), p.waitErr
	case <-ctx.Done():
		return p.Lines(), ctx.Err()
	}
}

// StartWASMServer runs the reference server (`node wasm-server.mjs PORT`,
// buttplug-rs 7.1.5 as WASM, spec v3) on a free loopback port, with env
// added (FAKE_DEVICES=...), and returns its websocket URL once it listens.
func StartWASMServer(t testing.TB, ctx context.Context, env ...string) (string, *Process) {
	t.Helper()
	dir := Dir(t, "buttplug-wasm")
	for attempt := 0; ; attempt++ {
		port := FreePort(t)
		p := Start(t, dir, env, "wasm-server.mjs", strconv.Itoa(port))
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := p.WaitLine(wctx, 0, regexp.MustCompile(`on ws://127\.0\.0\.1:`+strconv.Itoa(port)))
		cancel()
		if err == nil {
			return fmt.Sprintf("ws://127.0.0.1:%d", port), p
		}
		p.Stop()
		if attempt == 2 { // the port may have been taken meanwhile; try others
			t.Fatalf("interop: the reference server did not start: %v\n%s", err, strings.Join(p.Lines(), "\n"))
		}
	}
}

// FreePort returns a loopback TCP port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
