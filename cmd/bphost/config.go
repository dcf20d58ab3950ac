package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// defaultConnector is the connector used when neither a flag nor the config
// file names one: the embedded server, which needs no external program.
const defaultConnector = "embedded"

// fileConfig is the config file (JSON). Flags override every field.
//
//	{
//	  "plugin_dirs": ["/opt/bphost/plugins"],
//	  "connector": "websocket",
//	  "log_level": "info",
//	  "checksums": "/opt/bphost/plugins.sha256",
//	  "options": {
//	    "websocket": {"address": "ws://127.0.0.1:12345"},
//	    "embedded": {"simulate": "Lovense Hush,The Handy"}
//	  }
//	}
type fileConfig struct {
	// PluginDirs are searched after --plugin-dir and before the default
	// directories.
	PluginDirs []string `json:"plugin_dirs"`
	// Connector is the default connector plugin.
	Connector string `json:"connector"`
	// Checksums is the default --checksums file.
	Checksums string `json:"checksums"`
	// LogLevel is the default --log-level.
	LogLevel string `json:"log_level"`
	// Options holds each connector's default options; --opt overrides them
	// one key at a time.
	Options map[string]map[string]string `json:"options"`
}

// configPath returns the config file to read and whether it must exist
// (given explicitly) or is only read when present.
func configPath(flagPath string) (path string, required bool) {
	if flagPath != "" {
		return flagPath, true
	}
	if p := os.Getenv("BPHOST_CONFIG"); p != "" {
		return p, true
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(dir, "bphost", "config.json"), false
}

// loadConfig reads the config file; a missing optional file is an empty
// config.
func loadConfig(path string, required bool) (fileConfig, error) {
	var c fileConfig
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return c, nil
		}
		return c, fmt.Errorf("config file %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config file %s: %w", path, describeJSONError(data, err))
	}
	if dec.More() {
		return c, fmt.Errorf("config file %s: trailing data after the JSON object", path)
	}
	return c, nil
}

// describeJSONError adds the line and column to JSON syntax and type errors.
func describeJSONError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err
	}
	line, col := 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// applyConfig fills the globals that were not given as flags from c.
func (g *globals) applyConfig(c fileConfig) {
	if !g.set["connector"] && c.Connector != "" {
		g.connector = c.Connector
	}
	if !g.set["checksums"] && c.Checksums != "" {
		g.checksums = c.Checksums
	}
	if !g.set["log-level"] && c.LogLevel != "" {
		g.logLevel = c.LogLevel
	}
	g.pluginDirs = append(g.pluginDirs, c.PluginDirs...)
	defaults := c.Options[g.connector]
	keys := make([]string, 0, len(defaults))
	for k := range defaults {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, given := g.opts.vals[k]; !given {
			_ = g.opts.Set(k + "=" + defaults[k])
		}
	}
}
