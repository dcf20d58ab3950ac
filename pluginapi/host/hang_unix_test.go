//go:build !windows

package host_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi/host"
)

// hangBound bounds, generously for a loaded machine, how long a stopped
// plugin may hold a session or Close; the times are logged.
const hangBound = 15 * time.Second

// stopPlugin stops the plugin process as SIGSTOP does: it answers nothing,
// its sockets stay open. SIGKILL still ends a stopped process.
func stopPlugin(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // no-op once it is gone
}

// A plugin stopped in the middle of a session is found out by the
// watchdog, killed, and the session ends with ErrPluginHung naming it: with
// a short hang timeout, and with the default (3 s).
func TestStoppedPluginIsKilledAsHung(t *testing.T) {
	for _, hang := range []time.Duration{time.Second, 0} {
		t.Run(fmt.Sprint(hang), func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			p := launch(t, linetcpBin, host.Config{HangTimeout: hang})
			c, peer := connect(t, ctx, p, nil)
			exchange(t, ctx, c, peer, 0)
			pid := p.Pid()

			got := make(chan error, 1)
			go func() {
				_, err := c.Recv(ctx)
				got <- err
			}()
			stopped := time.Now()
			stopPlugin(t, pid)
			var err error
			select {
			case err = <-got:
			case <-time.After(hangBound):
				t.Fatalf("the session of a stopped plugin still runs after %v", hangBound)
			}
			t.Logf("SIGSTOP of plugin pid %d → session ended after %v (hang timeout %v, 0 is the default %v): %v",
				pid, time.Since(stopped).Round(time.Millisecond), hang, host.DefaultHangTimeout, err)
			if !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, host.ErrPluginHung) || !errors.Is(err, host.ErrPluginExited) {
				t.Fatalf("Recv of a stopped plugin: %v, want a disconnect caused by ErrPluginHung", err)
			}
			mustContain(t, err, linetcpBin, "has not answered since", "killed")
			waitGone(t, pid, "hung plugin")

			start := time.Now()
			c.Close()
			p.Close()
			t.Logf("Close after the hang took %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// Closing a stopped plugin (watchdog off, so nothing else kills it) does
// not wait for an answer that never comes: the process gets SIGKILL.
func TestCloseOfStoppedPluginIsBounded(t *testing.T) {
	ctx := testCtx(t)
	p := launch(t, linetcpBin, host.Config{HangTimeout: -1})
	c, peer := connect(t, ctx, p, nil)
	exchange(t, ctx, c, peer, 0)
	pid := p.Pid()
	stopPlugin(t, pid)

	closed := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		p.Close()
		closed <- time.Since(start)
	}()
	select {
	case took := <-closed:
		t.Logf("Plugin.Close of a stopped plugin returned after %v", took.Round(time.Millisecond))
	case <-time.After(hangBound):
		t.Fatalf("Plugin.Close of a stopped plugin has not returned after %v", hangBound)
	}
	waitGone(t, pid, "stopped plugin after Close")
	start = time.Now()
	c.Close()
	t.Logf("Connector.Close afterwards took %v", time.Since(start).Round(time.Millisecond))
	if _, err := c.Recv(ctx); !errors.Is(err, connector.ErrDisconnected) {
		t.Errorf("Recv after Close: %v", err)
	}
}
