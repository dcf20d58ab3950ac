// Package proc runs a connector plugin's process for go-plugin (see
// Runner); pluginapi/host uses it instead of go-plugin's own runner.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// Runner starts and watches one plugin process for go-plugin. Compared
// with go-plugin's own runner it
//   - drops whatever the plugin prints on stdout before its handshake line,
//     so stray output cannot break the handshake;
//   - gives the plugin a stdin pipe that only this process holds, so the
//     plugin sees EOF and exits when the host is gone, however it died;
//   - keeps the exit status and the end of stderr, for clear errors.
type Runner struct {
	log  hclog.Logger
	cmd  *exec.Cmd
	path string

	stdout   io.ReadCloser
	stderr   io.ReadCloser
	lifeline *os.File // the host's end of the plugin's stdin
	pid      int

	exited  chan struct{} // closed once the process is reaped
	waitErr error         // the exit status; set before exited is closed
	killed  atomic.Bool   // Kill was called: an exit is not the plugin's doing
	cleanup func()        // removes what runFile made, after the process ends
}

var _ runner.Runner = (*Runner)(nil)

// New prepares the plugin to run with the environment go-plugin chose. exe,
// when not nil, is the plugin file opened (and checked) at path: that very
// file runs, not whatever path names by then (see runFile); the caller
// closes it after Start.
func New(log hclog.Logger, path string, env []string, exe *os.File) (*Runner, error) {
	cmd := exec.Command(path)
	cleanup := func() {}
	if exe != nil {
		var err error
		if cleanup, err = runFile(cmd, exe); err != nil {
			return nil, fmt.Errorf("plugin %s: %w", path, err)
		}
	}
	cmd.Env = append(env, wire.EnvWatchStdin+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cleanup()
		return nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		cleanup()
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("plugin stdin pipe: %w", err)
	}
	cmd.Stdin = r
	return &Runner{
		log:      log,
		cmd:      cmd,
		path:     path,
		stdout:   &handshakeFilter{r: bufio.NewReaderSize(out, 64<<10), c: out, log: log},
		stderr:   errPipe,
		lifeline: w,
		exited:   make(chan struct{}),
		cleanup:  cleanup,
	}, nil
}

// Start starts the process.
func (p *Runner) Start(context.Context) error {
	err := p.cmd.Start()
	p.cmd.Stdin.(*os.File).Close() // the child has its copy
	if err != nil {
		p.lifeline.Close()
		p.cleanup()
		close(p.exited)
		return err
	}
	p.pid = p.cmd.Process.Pid
	p.log.Debug("plugin started", "path", p.path, "pid", p.pid)
	return nil
}

// Discard releases what New opened, for a process never started.
func (p *Runner) Discard() {
	p.cmd.Stdin.(*os.File).Close()
	p.lifeline.Close()
	p.stdout.Close()
	p.stderr.Close()
	p.cleanup()
}

// Wait waits for the process to end; then Exited is closed.
func (p *Runner) Wait(context.Context) error {
	err := p.cmd.Wait()
	p.waitErr = err
	p.lifeline.Close()
	p.cleanup()
	close(p.exited)
	return err
}

// Kill kills the process; its end is then not the plugin's doing.
func (p *Runner) Kill(context.Context) error {
	p.killed.Store(true)
	if p.cmd.Process == nil {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Stdout is the plugin's stdout from its handshake line on.
func (p *Runner) Stdout() io.ReadCloser { return p.stdout }

// Stderr is the plugin's stderr.
func (p *Runner) Stderr() io.ReadCloser { return p.stderr }

// Name is the executable's path.
func (p *Runner) Name() string { return p.path }

// ID is the process id, as text.
func (p *Runner) ID() string { return strconv.Itoa(p.pid) }

// Pid is the process id; 0 before Start or when it failed.
func (p *Runner) Pid() int { return p.pid }

// Exited is closed once the process is reaped.
func (p *Runner) Exited() <-chan struct{} { return p.exited }

// Diagnose says what usually makes a plugin fail to start.
func (p *Runner) Diagnose(context.Context) string {
	return "the executable is not a bphost connector plugin, was built for another OS or " +
		"architecture, or failed before its handshake"
}

// PluginToHost is the identity: plugin and host share the network.
func (p *Runner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

// HostToPlugin is the identity: plugin and host share the network.
func (p *Runner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// ExitedByItself reports whether the process ended on its own rather than
// by Kill; call it after Exited is closed.
func (p *Runner) ExitedByItself() bool {
	var ee *exec.ExitError
	return !p.killed.Load() || p.waitErr == nil || (errors.As(p.waitErr, &ee) && ee.ExitCode() >= 0)
}

// ExitStatus says how the process ended; call it after Exited is closed.
func (p *Runner) ExitStatus() string {
	if p.waitErr == nil {
		return "exit status 0"
	}
	return p.waitErr.Error()
}

// handshakeLine matches go-plugin's handshake:
// CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL[|...].
var handshakeLine = regexp.MustCompile(`^\d+\|\d+\|(tcp|unix)\|[^|]+\|(grpc|netrpc)(\||\s*$)`)

// handshakeFilter passes the plugin's stdout through from its handshake line
// on; lines before it are logged and dropped.
type handshakeFilter struct {
	r       *bufio.Reader
	c       io.Closer
	log     hclog.Logger
	mu      sync.Mutex
	pending []byte
	seen    bool
}

func (f *handshakeFilter) Read(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.seen {
		line, err := f.r.ReadSlice('\n')
		if handshakeLine.Match(line) && (err == nil || errors.Is(err, io.EOF)) {
			f.pending, f.seen = append([]byte(nil), line...), true
			break
		}
		if len(bytes.TrimSpace(line)) > 0 {
			f.log.Warn("plugin printed on stdout before its handshake; ignored", "output", string(bytes.TrimSpace(line)))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return 0, err
		}
	}
	if len(f.pending) > 0 {
		n := copy(b, f.pending)
		f.pending = f.pending[n:]
		return n, nil
	}
	return f.r.Read(b)
}

func (f *handshakeFilter) Close() error { return f.c.Close() }

// TailBuffer keeps the last bytes written to it: the end of a plugin's
// stderr, quoted when it fails to start.
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

// NewTailBuffer keeps the last max bytes.
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

// Write keeps the end of what was written so far.
func (t *TailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

// String returns what was kept, trimmed.
func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
