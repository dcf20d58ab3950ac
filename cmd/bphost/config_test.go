package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
		check   func(t *testing.T, c fileConfig)
	}{
		{name: "full", body: `{"plugin_dirs":["/p"],"connector":"websocket","log_level":"info","options":{"websocket":{"address":"ws://127.0.0.1:1"}}}`,
			check: func(t *testing.T, c fileConfig) {
				if c.Connector != "websocket" || c.LogLevel != "info" || len(c.PluginDirs) != 1 || c.Options["websocket"]["address"] != "ws://127.0.0.1:1" {
					t.Fatalf("got %+v", c)
				}
			}},
		{name: "empty object", body: `{}`, check: func(t *testing.T, c fileConfig) {
			if c.Connector != "" || c.PluginDirs != nil {
				t.Fatalf("got %+v", c)
			}
		}},
		{name: "unknown field", body: `{"conector":"tcp"}`, wantErr: `unknown field "conector"`},
		{name: "syntax error with position", body: "{\n  \"connector\": tcp\n}", wantErr: "line 2, column"},
		{name: "wrong type", body: `{"plugin_dirs":"/p"}`, wantErr: "line 1"},
		{name: "trailing data", body: `{} {}`, wantErr: "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := loadConfig(path, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.json")
	if _, err := loadConfig(path, false); err != nil {
		t.Fatalf("optional missing file: %v", err)
	}
	if _, err := loadConfig(path, true); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("required missing file: error %v, want fs.ErrNotExist", err)
	}
}

func TestConfigPathOrder(t *testing.T) {
	t.Setenv("BPHOST_CONFIG", "/from/env.json")
	if p, req := configPath("/from/flag.json"); p != "/from/flag.json" || !req {
		t.Fatalf("flag: %s %v", p, req)
	}
	if p, req := configPath(""); p != "/from/env.json" || !req {
		t.Fatalf("env: %s %v", p, req)
	}
	t.Setenv("BPHOST_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	if p, req := configPath(""); req || !strings.HasSuffix(p, filepath.Join("bphost", "config.json")) {
		t.Fatalf("default: %s %v", p, req)
	}
}

// Flags win over the config file; the file fills only what was not given,
// one option key at a time.
func TestApplyConfigFlagsWin(t *testing.T) {
	var g globals
	fs := newFlagSet("x", &g)
	if err := parseFlags(fs, &g, []string{"--connector", "websocket", "--opt", "address=ws://127.0.0.1:9", "--plugin-dir", "/flag"}); err != nil {
		t.Fatal(err)
	}
	g.applyConfig(fileConfig{
		Connector:  "tcp",
		LogLevel:   "debug",
		PluginDirs: []string{"/file"},
		Options: map[string]map[string]string{
			"websocket": {"address": "ws://127.0.0.1:1", "connect-timeout": "2s"},
			"tcp":       {"address": "127.0.0.1:2"},
		},
	})
	if g.connector != "websocket" {
		t.Errorf("connector %q, want the flag's", g.connector)
	}
	if g.logLevel != "debug" {
		t.Errorf("log level %q, want the file's", g.logLevel)
	}
	if strings.Join(g.pluginDirs, " ") != "/flag /file" {
		t.Errorf("plugin dirs %v, want flag then file", g.pluginDirs)
	}
	if g.opts.vals["address"] != "ws://127.0.0.1:9" || g.opts.vals["connect-timeout"] != "2s" || len(g.opts.vals) != 2 {
		t.Errorf("options %v", g.opts.vals)
	}
}
