package host

import (
	"context"
	"fmt"
	"sync"
	"time"

	pb "github.com/bphost/bphost/pluginapi/internal/connectorv1"
	"github.com/bphost/bphost/pluginapi/internal/proc"
	"github.com/hashicorp/go-hclog"
)

// DefaultHangTimeout is how long a plugin process may leave the host's
// health checks unanswered before the host kills it: a stopped or
// deadlocked plugin must not keep a toy running, nor the host waiting.
const DefaultHangTimeout = 3 * time.Second

// stopGrace bounds the orderly end of a plugin process (go-plugin's Kill:
// the Shutdown call, then its wait for the exit); past it the process gets
// SIGKILL, so that Close returns in about this time even when the plugin
// is stopped (SIGSTOP) and answers nothing.
const stopGrace = 1500 * time.Millisecond

// hangTimeout is the configured hang timeout; 0 means no watchdog.
func (c Config) hangTimeout() time.Duration {
	switch {
	case c.HangTimeout < 0:
		return 0
	case c.HangTimeout == 0:
		return DefaultHangTimeout
	}
	return c.HangTimeout
}

// watchdog asks a plugin process, a few times per timeout, to describe
// itself; a plugin that has not answered for timeout is killed, and the
// error that names it and when it went silent becomes the cause of its
// sessions' end. Describe is answered by the SDK, not the transport, so a
// busy transport is not taken for a hung plugin.
type watchdog struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	hung error
}

// watch starts the watchdog of inst, whose process run is; it returns
// once it is stopped or the process has exited.
func watch(log hclog.Logger, path string, inst *instance, run *proc.Runner, timeout time.Duration) *watchdog {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchdog{cancel: cancel, done: make(chan struct{})}
	go w.run(ctx, log, path, inst, run, timeout)
	return w
}

func (w *watchdog) run(ctx context.Context, log hclog.Logger, path string, inst *instance, run *proc.Runner, timeout time.Duration) {
	defer close(w.done)
	tick := time.NewTicker(timeout / 3)
	defer tick.Stop()
	last := time.Now() // the last answer
	for {
		select {
		case <-ctx.Done():
			return
		case <-inst.exited:
			return
		case <-tick.C:
		}
		pctx, cancel := context.WithDeadline(ctx, last.Add(timeout))
		_, err := inst.client.Describe(pctx, &pb.DescribeRequest{})
		cancel()
		if err == nil {
			last = time.Now()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		silent := time.Since(last)
		if silent < timeout {
			continue // a failure, not yet silence: ask again
		}
		hung := fmt.Errorf("%w: %s (pid %d) has not answered since %s (silent %v, limit %v); killed it: %w",
			ErrPluginHung, path, inst.pid, last.Format("15:04:05.000"), silent.Round(time.Millisecond), timeout, ErrPluginExited)
		w.mu.Lock()
		w.hung = hung
		w.mu.Unlock()
		log.Error("plugin hung; killing it", "path", path, "pid", inst.pid, "silent_since", last.Format(time.RFC3339Nano), "error", err)
		_ = run.Kill(context.Background())
		return
	}
}

// hungError is the error of a plugin the watchdog killed, or nil.
func (w *watchdog) hungError() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hung
}

// stop ends the watchdog and waits for it.
func (w *watchdog) stop() {
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
}

// boundedKill ends a plugin process with go-plugin's Kill, and kills it
// with SIGKILL when that has not finished within stopGrace (the plugin is
// stopped or deadlocked and answers no Shutdown); killing it ends the
// Shutdown call, so Kill then returns too.
func boundedKill(log hclog.Logger, path string, kill func(), run *proc.Runner) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		kill()
	}()
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	log.Warn("plugin did not exit in time; killing it", "path", path, "pid", run.Pid(), "waited", stopGrace)
	_ = run.Kill(context.Background())
	<-done
}
