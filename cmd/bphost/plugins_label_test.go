//go:build !windows

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bphost/bphost/pluginapi/host"
	"github.com/hashicorp/go-hclog"
)

// `bphost plugins` says a plugin refused for its location is refused for
// that, not for its checksum.
func TestPluginsLabelsInsecureLocation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, host.ExecutableName("x"))
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	info := describePlugin(context.Background(), host.Found{Name: "x", Path: path}, nil, hclog.NewNullLogger())
	if info.Checksum != "not checked: insecure location" || !strings.Contains(info.Error, "writable by every user") {
		t.Errorf("checksum %q, error %q; want the insecure location named", info.Checksum, info.Error)
	}
}
