package host

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/bphost/bphost/pluginapi"
	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/proc"
	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
)

// DefaultStartTimeout bounds a plugin's start and handshake when the
// caller's context has no earlier deadline.
const DefaultStartTimeout = 30 * time.Second

// Config says how a host starts plugins.
type Config struct {
	// Logger receives the host's messages about plugins and the plugins'
	// own log lines, under each plugin's executable name. nil discards them.
	Logger hclog.Logger
	// Checksums, when not nil, is in force: only plugins it lists, with the
	// sha256 it lists, are started.
	Checksums *Checksums
	// StartTimeout bounds start and handshake; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// HangTimeout is how long a plugin process may leave the host's health
	// checks unanswered before it is killed and its sessions end with
	// ErrPluginHung; 0 means DefaultHangTimeout, a negative value turns the
	// watchdog off.
	HangTimeout time.Duration
}

func (c Config) logger() hclog.Logger {
	if c.Logger == nil {
		return hclog.NewNullLogger()
	}
	return c.Logger
}

// Plugin is a connector plugin the host runs: a process started from an
// executable (Launch) or a Transport served in this process (NewInProcess).
// Its connectors share the process. When the process dies, open sessions
// end with ErrPluginExited and the next Connect starts it again. The host
// watches every process it runs: one that answers nothing for
// Config.HangTimeout is killed, and its sessions end with ErrPluginHung.
type Plugin struct {
	name  string // the executable's file name, or the transport's name
	path  string // "" in process
	cfg   Config
	start func(ctx context.Context) (*instance, error)

	mu     sync.Mutex
	cur    *instance
	desc   pluginapi.Description
	closed bool
}

// instance is one running process (or in-process server) of a Plugin.
type instance struct {
	client pb.ConnectorServiceClient
	pid    int
	exited <-chan struct{} // closed when it is gone
	status func() string   // how it ended; valid once exited is closed
	stop   func()          // ends it and waits
	watch  *watchdog       // nil in process or with the watchdog off
}

// live is every Plugin not closed yet, for Cleanup; running every plugin
// process started and not yet gone (a Plugin being closed included), for
// CleanupWithin.
var (
	liveMu  sync.Mutex
	live    = map[*Plugin]struct{}{}
	running = map[*instance]struct{}{}
)

// track keeps inst in running until its process is gone.
func track(inst *instance) {
	liveMu.Lock()
	running[inst] = struct{}{}
	liveMu.Unlock()
	go func() {
		<-inst.exited
		liveMu.Lock()
		delete(running, inst)
		liveMu.Unlock()
	}()
}

// Launch starts the plugin executable at path, after checking it with
// Verify: the real file (symbolic links resolved) and every directory on
// the way must be owned by root or this user and writable by no one else
// (a sticky directory such as /tmp may be writable by all if what it holds
// is ours), and, with a checksum file, its sha256 must match. The file is
// opened once: it is hashed and then run from that descriptor (a private
// copy where there is no /proc), so that swapping the file after the check
// does not run the swapped one. Launch completes the handshake (go-plugin, gRPC, AutoMTLS, magic cookie,
// contract version) and asks for its Description. ctx bounds all of that;
// cancelling it kills a plugin still starting. Errors wrap ErrInsecure,
// ErrNotListed, ErrChecksumMismatch or ErrHandshake where those apply and
// quote what the plugin wrote on stderr.
//
// The process runs until Close, Cleanup, or the host's exit: a plugin whose
// host is gone, even killed, exits by itself.
func Launch(ctx context.Context, path string, cfg Config) (*Plugin, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", path, err)
	}
	p := &Plugin{name: filepath.Base(abs), path: abs, cfg: cfg}
	p.start = p.startProcess
	return p.launch(ctx)
}

// NewInProcess serves t in this process through the same gRPC contract a
// plugin process speaks (over an in-memory connection): the host side, the
// SDK side and the transport run as they would across processes, without a
// binary. Tests and hosts that embed a transport use it.
func NewInProcess(t pluginapi.Transport, cfg Config) (*Plugin, error) {
	name, serve, err := wire.InProcess(t)
	if err != nil {
		return nil, err
	}
	p := &Plugin{name: name, cfg: cfg}
	p.start = func(context.Context) (*instance, error) {
		return startInProcess(serve(cfg.logger().Named(name)), name)
	}
	return p.launch(context.Background())
}

func (p *Plugin) launch(ctx context.Context) (*Plugin, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("plugin %s: start: %w", p.where(), err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.startLocked(ctx); err != nil {
		return nil, err
	}
	liveMu.Lock()
	live[p] = struct{}{}
	liveMu.Unlock()
	return p, nil
}

// startLocked starts an instance and reads its description; p.mu is held.
func (p *Plugin) startLocked(ctx context.Context) (*instance, error) {
	inst, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := inst.client.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		inst.stop()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("plugin %s: describe: %w", p.where(), err)
	}
	desc := describeFromProto(resp)
	if desc.ContractVersion != pluginapi.ContractVersion {
		inst.stop()
		return nil, fmt.Errorf("plugin %s: %w: it speaks contract v%d, this host v%d",
			p.where(), ErrHandshake, desc.ContractVersion, pluginapi.ContractVersion)
	}
	if err := desc.Validate(); err != nil {
		inst.stop()
		return nil, fmt.Errorf("plugin %s: %w", p.where(), err)
	}
	if p.path != "" && p.name != ExecutableName(desc.Name) {
		p.cfg.logger().Warn("plugin executable is named after another transport",
			"path", p.path, "transport", desc.Name)
	}
	p.cur, p.desc = inst, desc
	return inst, nil
}

// where names the plugin in errors: its executable, or its name in process.
func (p *Plugin) where() string {
	if p.path != "" {
		return p.path
	}
	return p.name
}

// instance returns the running instance, starting it again if it died.
func (p *Plugin) instance(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("plugin %s: %w (closed by the host)", p.name, ErrPluginExited)
	}
	if p.cur != nil {
		select {
		case <-p.cur.exited:
			p.cfg.logger().Info("plugin is gone; starting it again", "plugin", p.name, "was", p.cur.status())
			p.cur.stop()
			p.cur = nil
		default:
			return p.cur, nil
		}
	}
	return p.startLocked(ctx)
}

// Name is the transport's name from its Description.
func (p *Plugin) Name() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.desc.Name
}

// Path is the plugin's executable ("" in process).
func (p *Plugin) Path() string { return p.path }

// Description is what the plugin said about itself when it last started.
func (p *Plugin) Description() pluginapi.Description {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.desc
}

// Pid is the process id of the running plugin process; 0 in process or
// when none runs.
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return 0
	}
	return p.cur.pid
}

// Connector returns a connector.Connector whose sessions this plugin opens
// with opts (checked by the plugin against its Description on Connect).
func (p *Plugin) Connector(opts map[string]string) *Connector {
	cp := make(map[string]string, len(opts))
	for k, v := range opts {
		cp[k] = v
	}
	return &Connector{p: p, opts: cp}
}

// Close ends the plugin: open sessions end, the process is asked to exit and
// killed if it has not within about two seconds, also when it answers
// nothing (stopped, deadlocked). Close waits for it. It is
// idempotent; the plugin does not start again.
func (p *Plugin) Close() error {
	p.mu.Lock()
	inst := p.cur
	p.closed, p.cur = true, nil
	p.mu.Unlock()
	liveMu.Lock()
	delete(live, p)
	liveMu.Unlock()
	if inst != nil {
		inst.stop()
	}
	return nil
}

// isClosed reports whether Close was called.
func (p *Plugin) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Cleanup closes every plugin this process started and has not closed.
// Hosts defer it in main; SignalContext's second signal calls it too.
func Cleanup() {
	liveMu.Lock()
	ps := make([]*Plugin, 0, len(live))
	for p := range live {
		ps = append(ps, p)
	}
	liveMu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() { p.Close() })
	}
	wg.Wait()
}

// CleanupWithin is Cleanup bounded by d: the plugin processes still
// running after d (closing ones included) are killed (SIGKILL; Kill on
// Windows), for a host that must exit now and leave none behind.
func CleanupWithin(d time.Duration) {
	done := make(chan struct{})
	go func() {
		Cleanup()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	liveMu.Lock()
	pids := make([]int, 0, len(running))
	for inst := range running {
		pids = append(pids, inst.pid)
	}
	liveMu.Unlock()
	for _, pid := range pids {
		if proc, err := os.FindProcess(pid); err == nil {
			_ = proc.Kill()
		}
	}
}

// startProcess starts the executable and completes the handshake.
func (p *Plugin) startProcess(ctx context.Context) (*instance, error) {
	exe, err := openVerified(p.path, p.cfg.Checksums)
	if err != nil {
		return nil, err
	}
	defer exe.Close() // the child has its own copy once started
	log := p.cfg.logger()
	timeout := p.cfg.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	var (
		runMu sync.Mutex
		run   *proc.Runner
	)
	stderr := proc.NewTailBuffer(2048)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  pluginapi.Handshake,
		VersionedPlugins: wire.PluginSets(pluginapi.ContractVersion, nil),
		RunnerFunc: func(l hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
			r, err := proc.New(l, p.path, cmd.Env, exe)
			runMu.Lock()
			run = r
			runMu.Unlock()
			if err == nil && ctx.Err() != nil {
				r.Discard()
				return nil, ctx.Err() // cancelled before the process started
			}
			return r, err
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     timeout,
		Logger:           log,
		Stderr:           stderr,
		SyncStdout:       proc.NewLineLogger(log.Named(p.name), "stdout"),
		SyncStderr:       proc.NewLineLogger(log.Named(p.name), "stderr"),
		GRPCDialOptions:  wire.GRPCDialOptions(),
	})
	// Cancelling ctx kills a plugin that is still starting.
	stopKill := context.AfterFunc(ctx, func() {
		runMu.Lock()
		defer runMu.Unlock()
		if run != nil {
			run.Kill(context.Background())
		}
	})
	_, err = client.Start()
	stopKill()
	if err != nil {
		err = p.startError(ctx, err, run, stderr) // before Kill, which ends the process
		client.Kill()
		return nil, err
	}
	rpc, err := client.Client()
	if err == nil {
		var raw any
		raw, err = rpc.Dispense(wire.PluginKey)
		if cc, ok := raw.(pb.ConnectorServiceClient); err == nil && ok {
			log.Debug("plugin started", "plugin", p.name, "pid", run.Pid())
			inst := &instance{client: cc, pid: run.Pid(), exited: run.Exited(), status: run.ExitStatus}
			track(inst)
			if hang := p.cfg.hangTimeout(); hang > 0 {
				inst.watch = watch(log, p.path, inst, run, hang)
			}
			inst.stop = func() {
				inst.watch.stop()
				boundedKill(log, p.path, client.Kill, run)
			}
			return inst, nil
		}
		if err == nil {
			err = fmt.Errorf("dispensed %T", raw)
		}
	}
	boundedKill(log, p.path, client.Kill, run)
	return nil, fmt.Errorf("plugin %s: connecting: %w", p.path, err)
}

// startError explains why a plugin did not start.
func (p *Plugin) startError(ctx context.Context, err error, run *proc.Runner, stderr *proc.TailBuffer) error {
	if ctx.Err() != nil {
		return fmt.Errorf("plugin %s: start: %w", p.path, ctx.Err())
	}
	if run == nil || run.Pid() == 0 {
		return fmt.Errorf("plugin %s: cannot start it: %w", p.path, err)
	}
	// A plugin that gave up closes its stdout a moment before it is reaped.
	timer := time.NewTimer(exitWait)
	defer timer.Stop()
	select {
	case <-run.Exited():
		if !run.ExitedByItself() { // go-plugin gave up on it and killed it
			return fmt.Errorf("plugin %s: %w: %v", p.path, ErrHandshake, err)
		}
		said := ""
		if s := stderr.String(); s != "" {
			said = fmt.Sprintf("; it said: %q", s)
		}
		return fmt.Errorf("plugin %s: %w: the process exited before completing the handshake (%s): "+
			"it is not a bphost connector plugin, or was built for another contract or handshake cookie%s",
			p.path, ErrHandshake, run.ExitStatus(), said)
	case <-timer.C:
		return fmt.Errorf("plugin %s: %w: %v", p.path, ErrHandshake, err)
	}
}

// ExecutableName is the file name of the plugin executable for a transport
// name on this OS: bphost-connector-<name>, with .exe on Windows.
func ExecutableName(name string) string { return executablePrefix + name + exeSuffix }

// executablePrefix starts every plugin executable's name.
const executablePrefix = "bphost-connector-"
