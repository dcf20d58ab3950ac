//go:build linux

package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGINT and SIGTERM end a held command with the shell's status for the
// signal, even when the plugin hangs (SIGSTOP) and cannot close; a second
// signal does not wait for the grace period. The bound is the test's, not a
// timing assertion: the host's own budget is about 2 s.
func TestE2ESignalExit(t *testing.T) {
	tests := []struct {
		name       string
		sigs       []syscall.Signal
		hangPlugin bool
		want       int
	}{
		{name: "SIGINT", sigs: []syscall.Signal{syscall.SIGINT}, want: 130},
		{name: "SIGTERM", sigs: []syscall.Signal{syscall.SIGTERM}, want: 143},
		{name: "SIGINT, plugin hung", sigs: []syscall.Signal{syscall.SIGINT}, hangPlugin: true, want: 130},
		{name: "SIGTERM, plugin hung", sigs: []syscall.Signal{syscall.SIGTERM}, hangPlugin: true, want: 143},
		{name: "second SIGINT, plugin hung", sigs: []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, hangPlugin: true, want: 130},
	}
	binaries(t) // built before any test's clock starts
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd, errb, done := startWatch(t, ctx, "vibrate feature 0 at 0.5",
				"--simulate", "Lovense Hush", "vibrate", "--device", "0", "--level", "0.5", "--duration", "60s")
			plugins := pluginProcesses(t)
			if len(plugins) != 1 {
				t.Fatalf("plugin processes %v, want one", plugins)
			}
			if tt.hangPlugin {
				if err := syscall.Kill(plugins[0], syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
				// Whatever happens, the stopped plugin goes.
				t.Cleanup(func() { _ = syscall.Kill(plugins[0], syscall.SIGKILL) })
			}
			for _, sig := range tt.sigs {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			sent := time.Now()
			select {
			case <-done:
				t.Logf("exited %s after the signal", time.Since(sent).Round(time.Millisecond))
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("bphost did not exit after %v\n%s", tt.sigs, errb)
			}
			if code := cmd.ProcessState.ExitCode(); code != tt.want {
				t.Errorf("exit status %d, want %d\n%s", code, tt.want, errb)
			}
			noPluginsLeft(t)
		})
	}
}

// `vibrate --duration` through a plugin ends as soon as the server is
// gone, with the cause, instead of holding the whole duration and printing
// a stop it never sent.
func TestE2EHoldEndsWhenServerGone(t *testing.T) {
	binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := freePort(t)
	srv, srvErr, srvDone := startWatch(t, ctx, "bphost serve:", "serve", "--listen", "tcp://"+addr, "--simulate", "Lovense Hush", "--use-bluetooth-le=false")
	defer func() { _ = srv.Process.Kill() }()
	cmd, errb, done := startWatch(t, ctx, "vibrate feature 0 at 0.5",
		"--connector", "tcp", "--opt", "address="+addr, "vibrate", "--device", "0", "--level", "0.5", "--duration", "60s")
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srvDone
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("vibrate held on after the server was killed\n%s\nserve: %s", errb, srvErr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit status %d, want 1\n%s", code, errb)
	}
	for _, want := range []string{"connection lost", "of 1m0s"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("message lacks %q: %s", want, errb)
		}
	}
	noPluginsLeft(t)
}
