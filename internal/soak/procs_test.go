//go:build linux

package soak

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// outcome is what one faulted run did.
type outcome struct {
	fault        string // "none", or the signals and their target: "SIGKILL plugin"
	pluginKilled bool   // a plugin got SIGKILL from the soak: its devices died with it
	hungKilled   bool   // the host's watchdog found its plugin hung and killed it
	outlived     bool   // something of the run's process group was still running after its leader exited
	panics       int    // panics, fatal errors and data races in the run's stderr
	maxRSS       int64  // kB, the largest peak resident set (VmHWM) sampled of the run's processes
	stderr       string // the end of what the run printed on stderr
}

// hungLog is what bphost logs when its watchdog kills a hung plugin.
const hungLog = "plugin hung; killing it"

// faultKinds are the faults, picked at random (none included).
var faultKinds = []string{"none", "SIGKILL", "SIGSTOP+SIGKILL", "SIGSTOP+SIGCONT"}

// runFaulted starts cmd in a process group of its own and, at a random
// point, does nothing, kills or freezes one of targets: "client" or
// "host" is cmd's process, "plugin" a child of it. It returns once
// every process of the group is gone; whatever outlives its leader by 5 s
// is killed, and so is a leader hung for 40 s.
func runFaulted(cmd *exec.Cmd, targets []string) (outcome, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return outcome{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	pgid := cmd.Process.Pid
	groups.Store(pgid, true)
	defer groups.Delete(pgid)
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	var o outcome
	// The rusage of wait4 is no help: an exec after Go's vfork-like clone
	// inherits the parent's high-water mark. VmHWM is the new process's own.
	sampled := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, pid := range processes(func(s procStat) bool { return s.pgrp == pgid }) {
				peak = max(peak, vmHWM(pid))
			}
			select {
			case <-exited:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	kind := faultKinds[rand.IntN(len(faultKinds))]
	target := targets[rand.IntN(len(targets))]
	o.fault = "none"
	select {
	case <-exited:
	case <-time.After(time.Duration(50+rand.IntN(1500)) * time.Millisecond):
		if kind == "none" {
			break
		}
		pid := pgid
		if target == "plugin" {
			if kids := children(pgid); len(kids) > 0 {
				pid = kids[0]
			} else {
				target = "host" // the plugin is not running (yet, or any more)
			}
		}
		o.fault = kind + " " + target
		switch kind {
		case "SIGKILL":
			_ = syscall.Kill(pid, syscall.SIGKILL)
		case "SIGSTOP+SIGKILL", "SIGSTOP+SIGCONT":
			_ = syscall.Kill(pid, syscall.SIGSTOP)
			time.Sleep(time.Duration(200+rand.IntN(2500)) * time.Millisecond)
			if kind == "SIGSTOP+SIGKILL" {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			} else {
				_ = syscall.Kill(pid, syscall.SIGCONT)
			}
		}
		o.pluginKilled = target == "plugin" && kind != "SIGSTOP+SIGCONT"
	}
	select {
	case <-exited:
	case <-time.After(40 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
		o.fault += " (hung, killed)"
	}
	// A host's plugin ends on its own when its host is gone (after
	// stopping its devices): give it the time, then kill what is left.
	for end := time.Now().Add(5 * time.Second); groupAlive(pgid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			o.outlived = true
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
	for _, bad := range []string{"panic: ", "fatal error: ", "WARNING: DATA RACE"} {
		o.panics += strings.Count(stderr.String(), bad)
	}
	if o.panics > 0 {
		fmt.Fprintf(os.Stderr, "PANIC in %v:\n%s\n", cmd.Args, stderr.String())
	}
	o.hungKilled = strings.Contains(stderr.String(), hungLog)
	o.stderr = stderr.String()
	if len(o.stderr) > 4096 {
		o.stderr = o.stderr[len(o.stderr)-4096:]
	}
	o.maxRSS = <-sampled
	return o, nil
}

// groups are the process groups of the runs under way, for killAll.
var groups sync.Map

// killAll kills every process group a run started and has not seen end:
// the soak leaves nothing running, even when it stops early.
func killAll() {
	groups.Range(func(pgid, _ any) bool {
		_ = syscall.Kill(-pgid.(int), syscall.SIGKILL)
		return true
	})
}

// vmHWM is the peak resident set of process pid in kB, 0 if unknown.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return 0
}

// procStat is what /proc/PID/stat says of a process: its state, parent
// and process group.
type procStat struct {
	state      byte
	ppid, pgrp int
}

func readStat(pid string) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("stat without a command name")
	}
	var s procStat
	if _, err := fmt.Sscanf(string(b[i+2:]), "%c %d %d", &s.state, &s.ppid, &s.pgrp); err != nil {
		return procStat{}, fmt.Errorf("stat of %s: %w", pid, err)
	}
	return s, nil
}

// processes lists the live (not zombie) processes for which keep is true.
func processes(keep func(procStat) bool) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if s, err := readStat(e.Name()); err == nil && s.state != 'Z' && keep(s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func children(pid int) []int {
	return processes(func(s procStat) bool { return s.ppid == pid })
}

func groupAlive(pgid int) bool {
	return len(processes(func(s procStat) bool { return s.pgrp == pgid })) > 0
}
