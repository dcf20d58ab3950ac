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

// newCapturingLogger is newLogger that also hands every message at info
// level and above to sink, whatever the level printed on w.
func newCapturingLogger(w io.Writer, level string, sink hclog.SinkAdapter) (hclog.Logger, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	// go-plugin drops plugin log lines below the host logger's own level
	// before sinks see them, so the logger itself takes info and above and
	// prints nothing; a sink prints at the level asked for.
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "bphost", Level: min(lvl, hclog.Info), Output: io.Discard})
	l.RegisterSink(hclog.NewSinkAdapter(&hclog.LoggerOptions{Level: lvl, Output: w}))
	l.RegisterSink(sink)
	return l, nil
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
