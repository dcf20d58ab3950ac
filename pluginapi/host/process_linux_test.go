package host_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// leftoverChildren reports live child processes of this test process.
func leftoverChildren() error {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := os.Getpid()
	var left []int
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:]) // state ppid ...
		if len(f) < 2 || string(f[0]) == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(string(f[1])); ppid == me {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
			left = append(left, pid)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("child processes left running: %v", left)
	}
	return nil
}
