package host_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/bphost/bphost/pluginapi/host"
)

func TestDirsOrder(t *testing.T) {
	tmp := t.TempDir()
	sep := string(os.PathListSeparator)
	t.Setenv(host.EnvPluginPath, strings.Join([]string{"/env/a", "", "/env/b", "/flag/one"}, sep))
	t.Setenv("XDG_CONFIG_HOME", tmp)
	t.Setenv("HOME", tmp)
	t.Setenv("AppData", tmp)
	cfg, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Clean("/flag/one"), filepath.Clean("/flag/two"), // explicit, repeats dropped
		filepath.Clean("/env/a"), filepath.Clean("/env/b"),
		filepath.Join(cfg, "bphost", "plugins"),
		filepath.Join(filepath.Dir(exe), "plugins"),
	}
	if got := host.Dirs("/flag/one", "/flag/two/", ""); !reflect.DeepEqual(got, want) {
		t.Errorf("Dirs =\n%q\nwant\n%q", got, want)
	}
}

// writeFile creates path with mode (a directory when mode is a directory).
func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if mode.IsDir() {
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func TestDiscover(t *testing.T) {
	exe := host.ExecutableName
	d1, d2 := t.TempDir(), t.TempDir()
	missing := filepath.Join(t.TempDir(), "missing")
	writeFile(t, filepath.Join(d1, exe("tcp")), 0o755)
	writeFile(t, filepath.Join(d1, exe("bad.name")), 0o755)       // not a transport name
	writeFile(t, filepath.Join(d1, "bphost-connector-"), 0o755)   // no name
	writeFile(t, filepath.Join(d1, "README.md"), 0o644)           // not a plugin
	writeFile(t, filepath.Join(d1, exe("sub")), os.ModeDir|0o755) // a directory
	writeFile(t, filepath.Join(d2, exe("tcp")), 0o755)            // shadowed by d1's
	writeFile(t, filepath.Join(d2, exe("ipc")), 0o755)
	if runtime.GOOS != "windows" {
		writeFile(t, filepath.Join(d2, exe("ws")), 0o644) // not executable
	}
	cat := host.Discover([]string{d1, missing, d2})
	want := []host.Found{
		{Name: "ipc", Path: filepath.Join(d2, exe("ipc"))},
		{Name: "tcp", Path: filepath.Join(d1, exe("tcp")), Shadowed: []string{filepath.Join(d2, exe("tcp"))}},
	}
	if !reflect.DeepEqual(cat.Plugins, want) {
		t.Errorf("Plugins =\n%+v\nwant\n%+v", cat.Plugins, want)
	}
	problems := fmt.Sprint(cat.Problems)
	wantProblems, wantCount := []string{exe("sub") + ": not a regular file"}, 1
	if runtime.GOOS != "windows" {
		wantProblems, wantCount = append(wantProblems, exe("ws")+": not executable", "chmod +x"), 2
	}
	for _, p := range wantProblems {
		if !strings.Contains(problems, p) {
			t.Errorf("problems %s do not say %q", problems, p)
		}
	}
	if strings.Contains(problems, missing) {
		t.Errorf("a missing directory is reported: %s", problems)
	}
	if len(cat.Problems) != wantCount {
		t.Errorf("%d problems, want %d: %s", len(cat.Problems), wantCount, problems)
	}

	got, err := cat.Lookup("tcp")
	if err != nil || got.Path != want[1].Path {
		t.Errorf("Lookup(tcp) = %+v, %v", got, err)
	}
	_, err = cat.Lookup("websocket")
	if !errors.Is(err, host.ErrNoPlugin) {
		t.Fatalf("Lookup(websocket) = %v, want ErrNoPlugin", err)
	}
	mustContain(t, err, exe("websocket"), d1, d2, "found: ipc, tcp")
	if _, err := (host.Catalog{}).Lookup("x"); err == nil || !strings.Contains(err.Error(), "found: none") {
		t.Errorf("Lookup in an empty catalog: %v", err)
	}
}

func TestDiscoverUnreadableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, 0o644)
	cat := host.Discover([]string{file})
	if len(cat.Problems) != 1 || !strings.Contains(cat.Problems[0].Error(), "plugin directory "+file) {
		t.Errorf("a plugin directory that is a file: problems %v", cat.Problems)
	}
}

func ExampleDiscover() {
	cat := host.Discover(host.Dirs("/opt/bphost/plugins"))
	for _, p := range cat.Plugins {
		fmt.Println(p.Name, p.Path)
		for _, s := range p.Shadowed {
			fmt.Println("  shadows", s)
		}
	}
	for _, err := range cat.Problems {
		fmt.Println("skipped:", err)
	}
}
