package pluginapi

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

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// procRunner starts and watches one plugin process for go-plugin. Compared
// with go-plugin's own runner it
//   - drops whatever the plugin prints on stdout before its handshake line,
//     so stray output cannot break the handshake;
//   - gives the plugin a stdin pipe that only this process holds, so the
//     plugin sees EOF and exits when the host is gone, however it died;
//   - keeps the exit status and the end of stderr, for clear errors.
type procRunner struct {
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
}

var _ runner.Runner = (*procRunner)(nil)

// newProcRunner prepares path to run with the environment go-plugin chose.
func newProcRunner(log hclog.Logger, path string, env []string) (*procRunner, error) {
	cmd := exec.Command(path)
	cmd.Env = append(env, envWatchStdin+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("plugin stdin pipe: %w", err)
	}
	cmd.Stdin = r
	return &procRunner{
		log:      log,
		cmd:      cmd,
		path:     path,
		stdout:   &handshakeFilter{r: bufio.NewReaderSize(out, 64<<10), c: out, log: log},
		stderr:   errPipe,
		lifeline: w,
		exited:   make(chan struct{}),
	}, nil
}

func (p *procRunner) Start(context.Context) error {
	err := p.cmd.Start()
	p.cmd.Stdin.(*os.File).Close() // the child has its copy
	if err != nil {
		p.lifeline.Close()
		close(p.exited)
		return err
	}
	p.pid = p.cmd.Process.Pid
	p.log.Debug("plugin started", "path", p.path, "pid", p.pid)
	return nil
}

// discard releases what newProcRunner opened, for a process never started.
func (p *procRunner) discard() {
	p.cmd.Stdin.(*os.File).Close()
	p.lifeline.Close()
	p.stdout.Close()
	p.stderr.Close()
}

func (p *procRunner) Wait(context.Context) error {
	err := p.cmd.Wait()
	p.waitErr = err
	p.lifeline.Close()
	close(p.exited)
	return err
}

func (p *procRunner) Kill(context.Context) error {
	p.killed.Store(true)
	if p.cmd.Process == nil {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (p *procRunner) Stdout() io.ReadCloser { return p.stdout }
func (p *procRunner) Stderr() io.ReadCloser { return p.stderr }
func (p *procRunner) Name() string          { return p.path }
func (p *procRunner) ID() string            { return strconv.Itoa(p.pid) }

func (p *procRunner) Diagnose(context.Context) string {
	return "the executable is not a bphost connector plugin, was built for another OS or " +
		"architecture, or failed before its handshake"
}

func (p *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (p *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// exitedByItself reports whether the process ended on its own rather than
// by our Kill; call it after exited is closed.
func (p *procRunner) exitedByItself() bool {
	var ee *exec.ExitError
	return !p.killed.Load() || p.waitErr == nil || (errors.As(p.waitErr, &ee) && ee.ExitCode() >= 0)
}

// exitStatus says how the process ended; call it after exited is closed.
func (p *procRunner) exitStatus() string {
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

// tailBuffer keeps the last bytes written to it: the end of a plugin's
// stderr, quoted when it fails to start.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

// String returns what was kept, trimmed.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
