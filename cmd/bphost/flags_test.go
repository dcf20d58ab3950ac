package main

import (
	"testing"
	"time"
)

// Global flags are registered once: values given before the command name
// survive the command's parse, and --simulate is --opt simulate=NAME.
func TestGlobalFlagsParsedOnce(t *testing.T) {
	tests := []struct {
		name      string
		pre, post []string
		simulate  string
		connector string
		timeout   time.Duration
		json      bool
	}{
		{name: "before the command", pre: []string{"--connector", "tcp", "--timeout", "3s", "--json"}, connector: "tcp", timeout: 3 * time.Second, json: true},
		{name: "after the command", post: []string{"--connector", "tcp", "--json"}, connector: "tcp", timeout: 10 * time.Second, json: true},
		{name: "split", pre: []string{"--timeout", "4s"}, post: []string{"--json"}, connector: "embedded", timeout: 4 * time.Second, json: true},
		{name: "simulate is sugar", pre: []string{"--simulate", "Lovense Hush"}, post: []string{"--simulate", "Lovense Nora"},
			simulate: "Lovense Hush,Lovense Nora", connector: "embedded", timeout: 10 * time.Second},
		{name: "simulate adds to --opt", pre: []string{"--opt", "simulate=Lovense Hush", "--simulate", "Lovense Nora"},
			simulate: "Lovense Hush,Lovense Nora", connector: "embedded", timeout: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g globals
			pre := newFlagSet("bphost", &g)
			if err := parseFlags(pre, &g, append(tt.pre, "devices")); err != nil {
				t.Fatal(err)
			}
			fs := newFlagSet("devices", &g)
			fs.Duration("scan", 0, "")
			if err := parseFlags(fs, &g, tt.post); err != nil {
				t.Fatal(err)
			}
			if g.connector != tt.connector || g.timeout != tt.timeout || g.json != tt.json || g.opts.vals["simulate"] != tt.simulate {
				t.Fatalf("connector %q timeout %s json %v simulate %q; want %q %s %v %q",
					g.connector, g.timeout, g.json, g.opts.vals["simulate"], tt.connector, tt.timeout, tt.json, tt.simulate)
			}
		})
	}
}
