package main

import "time"

// cpuMeter sums the CPU time (user and system) of this process and of
// other processes on a path, so that a path's cost is known even when the
// machine is busy with others' work and wall time says little. It reads
// /proc (Linux); elsewhere it reports nothing.
type cpuMeter struct {
	pids     []int
	skipSelf bool // meter only pids
}

// span measures f's CPU time per op over n ops; 0 when unknown.
func (m cpuMeter) span(n int, f func() error) (time.Duration, error) {
	before, ok1 := m.now()
	err := f()
	after, ok2 := m.now()
	if !ok1 || !ok2 || n == 0 {
		return 0, err
	}
	return (after - before) / time.Duration(n), err
}
