package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

//go:embed npmclient.js
var npmScript []byte

// npmClient measures the npm buttplug 5.0.2 client against url, running
// npmclient.js with node on the node_modules of peers (interop/peers).
func npmClient(ctx context.Context, sz Sizes, peers, url string) (Result, error) {
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
	cmd := exec.CommandContext(ctx, "node", script, url,
		strconv.Itoa(sz.Warmup), strconv.Itoa(sz.Serial), strconv.Itoa(sz.Pipeline), strconv.Itoa(sz.InFlight))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("npm client: %w", err)
	}
	var r struct {
		P50  float64 `json:"p50_ns"`
		P99  float64 `json:"p99_ns"`
		PerS float64 `json:"per_s"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return Result{}, fmt.Errorf("npm client: output %q: %w", out, err)
	}
	return Result{P50: time.Duration(r.P50), P99: time.Duration(r.P99), Throughput: r.PerS}, nil
}
