//go:build !windows

package host_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi/host"
)

// crashBound is the bound on turning a plugin crash into a
// disconnect.
const crashBound = time.Second

func TestPluginCrashBecomesDisconnect(t *testing.T) {
	ctx := testCtx(t)
	p := launch(t, linetcpBin, host.Config{})
	c, peer := connect(t, ctx, p, nil)
	exchange(t, ctx, c, peer, 0)
	pid := p.Pid()

	type result struct {
		err error
		at  time.Time
	}
	got := make(chan result, 1)
	go func() {
		_, err := c.Recv(ctx)
		got <- result{err, time.Now()}
	}()
	time.Sleep(20 * time.Millisecond) // let Recv block
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r := <-got
	took := r.at.Sub(killed)
	t.Logf("kill -9 of plugin pid %d → disconnect in %v: %v", pid, took, r.err)
	if !errors.Is(r.err, connector.ErrDisconnected) || !errors.Is(r.err, host.ErrPluginExited) {
		t.Fatalf("Recv after kill -9: %v, want a disconnect caused by ErrPluginExited", r.err)
	}
	mustContain(t, r.err, "signal: killed", linetcpBin)
	if took > crashBound {
		t.Errorf("crash seen after %v, bound %v", took, crashBound)
	}
	if err := c.Send(ctx, []byte("[]")); !errors.Is(err, host.ErrPluginExited) {
		t.Errorf("Send after the crash: %v", err)
	}
	waitGone(t, pid, "killed plugin")

	// The host starts the plugin again on the next Connect.
	c2, peer2 := connect(t, ctx, p, nil)
	if p.Pid() == pid || p.Pid() <= 0 {
		t.Errorf("pid after relaunch = %d (was %d)", p.Pid(), pid)
	}
	exchange(t, ctx, c2, peer2, 1)
	newPid := p.Pid()
	c2.Close()
	p.Close()
	waitGone(t, newPid, "relaunched plugin after Close")
}
