package main

import (
	"io"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// newLogger returns the host's logger: hclog on stderr at the given level
// (warn when empty). Plugin logs arrive through it with the plugin's name.
func newLogger(w io.Writer, level string) (hclog.Logger, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	return hclog.New(&hclog.LoggerOptions{Name: "bphost", Level: lvl, Output: w}), nil
}

func parseLevel(level string) (hclog.Level, error) {
	if level == "" {
		return hclog.Warn, nil
	}
	lvl := hclog.LevelFromString(strings.ToLower(level))
	if lvl == hclog.NoLevel {
		return lvl, usageError("--log-level %q is not one of trace, debug, info, warn, error, off", level)
	}
	return lvl, nil
}
