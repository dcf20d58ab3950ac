package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/bphost/bphost/pluginapi/host"
)

// Budgets of the way out after SIGINT or SIGTERM: the host is gone within
// about 2 s whatever hangs (a stopped plugin, a device that does not
// answer its stop).
const (
	// gracePeriod is how long the command has to stop its devices and
	// close its plugins after the first signal.
	gracePeriod = 1200 * time.Millisecond
	// cleanupBudget bounds closing the plugins on a forced exit; those
	// still running after it are killed.
	cleanupBudget = 250 * time.Millisecond
)

// interrupted is the cancel cause of the signal context: the signal, for
// the exit status.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

// Unwrap makes an interrupted cause a context.Canceled, for code that
// reports context.Cause.
func (i interrupted) Unwrap() error { return context.Canceled }

// exitStatus is the shell's status for a process ended by the signal: 130
// for SIGINT, 143 for SIGTERM.
func (i interrupted) exitStatus() int {
	if s, ok := i.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// interruptStatus returns the exit status of a command that ended because
// ctx was cancelled: the signal's, or 130 when no signal is known.
func interruptStatus(ctx context.Context) int {
	var i interrupted
	if errors.As(context.Cause(ctx), &i) {
		return i.exitStatus()
	}
	return 130
}

// signalContext returns a context that the first SIGINT or SIGTERM
// cancels (with an interrupted cause), so the command stops its devices and
// closes its plugins. If that takes longer than gracePeriod, or a second
// signal comes, the process exits at once with the signal's status after
// closing (or else killing) its plugins. stop releases the signals.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stopped := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		var first os.Signal
		select {
		case first = <-sigs:
			cancel(interrupted{first})
		case <-stopped:
			return
		}
		grace := time.NewTimer(gracePeriod)
		defer grace.Stop()
		select {
		case sig := <-sigs:
			forceExit(sig)
		case <-grace.C:
			forceExit(first)
		case <-stopped:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(stopped)
			<-exited
			cancel(nil)
		})
	}
}

// forceExit closes the plugins within cleanupBudget, killing those left,
// and exits with the signal's status.
func forceExit(sig os.Signal) {
	host.CleanupWithin(cleanupBudget)
	os.Exit(interrupted{sig}.exitStatus())
}
