package host

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// SignalContext returns a context that the first interrupt (os.Interrupt,
// SIGTERM) cancels, so the host winds down and closes its plugins on its
// way out. A second signal does not wait: it closes every plugin (Cleanup)
// and exits with status 130 for an interrupt, 143 for SIGTERM. stop releases
// the signals and the goroutine that watches them.
//
//	ctx, stop := host.SignalContext(context.Background())
//	defer stop()
//	defer host.Cleanup()
//
// Plugins never outlive the host even without this: a plugin whose host has
// exited, however, exits by itself (see Launch).
func SignalContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stopped := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-sigs:
			cancel()
		case <-stopped:
			return
		}
		select {
		case sig := <-sigs:
			Cleanup()
			os.Exit(signalStatus(sig))
		case <-stopped:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(stopped)
			<-exited
			cancel()
		})
	}
}

// signalStatus is the shell's exit status for a process ended by sig.
func signalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
