package server

import (
	"sync"
	"testing"
	"time"
)

// waitSpare waits until n workers are waiting for work.
func waitSpare(t *testing.T, ss *session, n int32) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for ss.spare.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers wait for work, want %d", ss.spare.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGoWorkReusesWorkers(t *testing.T) {
	ss := &session{jobs: make(chan func()), done: make(chan struct{})}
	defer func() { close(ss.done); ss.wg.Wait() }()

	// One command after another: the worker of the first answers the
	// second, so one worker waits afterwards, not two.
	for range 3 {
		ran := make(chan struct{})
		ss.goWork(func() { close(ran) })
		<-ran
		waitSpare(t, ss, 1)
	}

	// A burst: every answer runs at once (none waits for another), and no
	// more than maxSpare workers stay.
	const burst = 3 * maxSpare
	var started sync.WaitGroup
	started.Add(burst)
	gate := make(chan struct{})
	for range burst {
		ss.goWork(func() { started.Done(); <-gate })
	}
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		t.Fatal("the answers of a burst did not all run at once")
	}
	close(gate)
	waitSpare(t, ss, maxSpare)
	ss.workMu.Lock()
	work := ss.work
	ss.workMu.Unlock()
	if work != 0 {
		t.Fatalf("work = %d after every answer ran, want 0", work)
	}
}

func TestGoWorkWorkersEndWithSession(t *testing.T) {
	ss := &session{jobs: make(chan func()), done: make(chan struct{})}
	for range 10 {
		ss.goWork(func() {})
	}
	close(ss.done)
	ended := make(chan struct{})
	go func() { ss.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("workers still running after the session ended")
	}
	// A command answered after the end still runs.
	ran := make(chan struct{})
	ss.goWork(func() { close(ran) })
	<-ran
	ss.wg.Wait()
}
