package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed npmclient.js
var npmScript []byte

// npmClient measures the npm buttplug 5.0.2 client against srv, running
// npmclient.js with node on the node_modules of peers (interop/peers).
// The CPU column adds the CPU time of srv over the pipelined phase to
// node's own.
func npmClient(ctx context.Context, sz Sizes, peers string, srv *serveProc) (Result, error) {
	mods := filepath.Join(peers, "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "buttplug")); err != nil {
		return Result{}, fmt.Errorf("npm client: %w (run npm ci in %s)", err, peers)
	}
	dir, err := os.MkdirTemp("", "benche2e-npm")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "npmclient.js")
	if err := os.WriteFile(script, npmScript, 0o600); err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, "node", script, srv.url,
		strconv.Itoa(sz.Warmup), strconv.Itoa(sz.Serial), strconv.Itoa(sz.Pipeline), strconv.Itoa(sz.InFlight))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return Result{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("npm client: %w", err)
	}
	r, err := npmTalk(stdin, bufio.NewReader(stdout), srv.cmd.Process.Pid, sz.Pipeline)
	_ = stdin.Close()
	if werr := cmd.Wait(); werr != nil && err == nil {
		err = fmt.Errorf("npm client: %w", werr)
	}
	return r, err
}

// npmTalk meters the server's CPU between node's "start" and "end" and
// reads node's results.
func npmTalk(stdin io.Writer, stdout *bufio.Reader, serverPid, ops int) (Result, error) {
	m := cpuMeter{pids: []int{serverPid}, skipSelf: true}
	var at [2]time.Duration
	known := true
	for i, want := range []string{"start", "end"} {
		line, err := stdout.ReadString('\n')
		if strings.TrimSpace(line) != want {
			return Result{}, fmt.Errorf("npm client: want %q, got %q (%v)", want, line, err)
		}
		t, ok := m.now()
		at[i], known = t, known && ok
		if _, err := io.WriteString(stdin, "go\n"); err != nil {
			return Result{}, fmt.Errorf("npm client: %w", err)
		}
	}
	out, err := stdout.ReadBytes('\n')
	if err != nil {
		return Result{}, fmt.Errorf("npm client: results: %w", err)
	}
	var r struct {
		P50  float64 `json:"p50_ns"`
		P99  float64 `json:"p99_ns"`
		PerS float64 `json:"per_s"`
		CPU  float64 `json:"cpu_ns_per_op"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return Result{}, fmt.Errorf("npm client: output %q: %w", out, err)
	}
	res := Result{P50: time.Duration(r.P50), P99: time.Duration(r.P99), Throughput: r.PerS}
	if known && ops > 0 {
		// node's CPU per op, plus the server's over the same ops.
		res.CPU = time.Duration(r.CPU) + (at[1]-at[0])/time.Duration(ops)
	}
	return res, nil
}
