//go:build !linux

package host_test

import (
	"os"
	"syscall"
)

// processAlive reports whether pid runs.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// leftoverChildren is checked on Linux only.
func leftoverChildren() error { return nil }
