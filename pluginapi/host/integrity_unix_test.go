//go:build !windows

package host_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bphost/bphost/pluginapi/host"
)

// nobody is the uid (and gid) of the other user in ownership tests.
const nobody = 65534

// dirWithMode creates dir (and its parents) and sets its mode past the
// umask, sticky bit included.
func dirWithMode(t *testing.T, dir string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// asRoot skips a test that gives files to another user, which only root
// may do.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("giving a file to uid %d needs root; this test runs as uid %d", nobody, os.Geteuid())
	}
}

func chown(t *testing.T, path string, uid, gid int) {
	t.Helper()
	if err := os.Lchown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// Every way another user could put their code where the host runs it is
// refused, naming the file or directory at fault; the safe layouts next to
// them are accepted.
func TestPluginLocationChecks(t *testing.T) {
	exe := host.ExecutableName("linetcp")
	for _, tc := range []struct {
		name   string
		root   bool // needs root (chown)
		layout func(t *testing.T, base string) (plugin, culprit string)
		want   string // "" for accepted
	}{
		{"safe", false, func(t *testing.T, base string) (string, string) {
			return copyPlugin(t, linetcpBin, filepath.Join(base, "plugins"), 0o755), ""
		}, ""},
		{"symlink into a world-writable directory", false, func(t *testing.T, base string) (string, string) {
			planted := copyPlugin(t, linetcpBin, filepath.Join(base, "drop"), 0o777)
			link := filepath.Join(dirWithMode(t, filepath.Join(base, "plugins"), 0o755), exe)
			if err := os.Symlink(planted, link); err != nil {
				t.Fatal(err)
			}
			return link, filepath.Join(base, "drop")
		}, "directory %s is writable by every user"},
		{"relative symlink through a world-writable directory's link", false, func(t *testing.T, base string) (string, string) {
			real := copyPlugin(t, linetcpBin, filepath.Join(base, "real"), 0o755)
			hop := dirWithMode(t, filepath.Join(base, "hop"), 0o777)
			if err := os.Symlink("../real", filepath.Join(hop, "to")); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dirWithMode(t, filepath.Join(base, "plugins"), 0o755), exe)
			if err := os.Symlink(filepath.Join("..", "hop", "to", filepath.Base(real)), link); err != nil {
				t.Fatal(err)
			}
			return link, hop
		}, "directory %s is writable by every user"},
		{"world-writable ancestor", false, func(t *testing.T, base string) (string, string) {
			open := dirWithMode(t, filepath.Join(base, "open"), 0o777)
			return copyPlugin(t, linetcpBin, filepath.Join(open, "plugins"), 0o755), open
		}, "directory %s is writable by every user"},
		{"group-writable ancestor of another group", true, func(t *testing.T, base string) (string, string) {
			shared := dirWithMode(t, filepath.Join(base, "shared"), 0o775)
			chown(t, shared, 0, nobody)
			return copyPlugin(t, linetcpBin, filepath.Join(shared, "plugins"), 0o755), shared
		}, "directory %s is writable by its group"},
		{"sticky world-writable ancestor, our directory in it", false, func(t *testing.T, base string) (string, string) {
			sticky := dirWithMode(t, filepath.Join(base, "sticky"), os.ModeSticky|0o777)
			return copyPlugin(t, linetcpBin, filepath.Join(sticky, "mine"), 0o755), ""
		}, ""},
		{"sticky world-writable ancestor, another user's directory in it", true, func(t *testing.T, base string) (string, string) {
			sticky := dirWithMode(t, filepath.Join(base, "sticky"), os.ModeSticky|0o777)
			plugin := copyPlugin(t, linetcpBin, filepath.Join(sticky, "theirs"), 0o755)
			chown(t, filepath.Dir(plugin), nobody, nobody)
			return plugin, filepath.Dir(plugin)
		}, "%s is in"},
		{"directory owned by another user", true, func(t *testing.T, base string) (string, string) {
			plugin := copyPlugin(t, linetcpBin, filepath.Join(base, "plugins"), 0o755)
			chown(t, filepath.Dir(plugin), nobody, nobody)
			return plugin, filepath.Dir(plugin)
		}, "directory %s is owned by uid 65534"},
		{"plugin owned by another user", true, func(t *testing.T, base string) (string, string) {
			plugin := copyPlugin(t, linetcpBin, filepath.Join(base, "plugins"), 0o755)
			chown(t, plugin, nobody, nobody)
			return plugin, plugin
		}, "it is owned by uid 65534"},
		{"world-writable plugin", false, func(t *testing.T, base string) (string, string) {
			plugin := copyPlugin(t, linetcpBin, filepath.Join(base, "plugins"), 0o755)
			if err := os.Chmod(plugin, 0o757); err != nil {
				t.Fatal(err)
			}
			return plugin, plugin
		}, "the file is writable by every user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				asRoot(t)
			}
			plugin, culprit := tc.layout(t, t.TempDir())
			err := host.Verify(plugin, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify refused a safe layout: %v", err)
				}
				return
			}
			if !errors.Is(err, host.ErrInsecure) {
				t.Fatalf("Verify(%s) = %v, want ErrInsecure", plugin, err)
			}
			want := tc.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, culprit)
			}
			mustContain(t, err, plugin, want)
		})
	}
}

// The plant of the issue, end to end: a symlink in a safe plugin directory
// to a plugin in a world-writable one does not start.
func TestLaunchRefusesSymlinkPlant(t *testing.T) {
	base := t.TempDir()
	planted := copyPlugin(t, linetcpBin, filepath.Join(base, "drop"), 0o777)
	link := filepath.Join(dirWithMode(t, filepath.Join(base, "plugins"), 0o755), filepath.Base(planted))
	if err := os.Symlink(planted, link); err != nil {
		t.Fatal(err)
	}
	p, err := host.Launch(testCtx(t), link, host.Config{})
	if err == nil {
		p.Close()
		t.Fatal("a plugin planted through a symlink started")
	}
	if !errors.Is(err, host.ErrInsecure) {
		t.Errorf("Launch: %v, want ErrInsecure", err)
	}
}

// A checksum file others may change is refused: it would let them list
// their own plugin.
func TestChecksumFileLocationChecks(t *testing.T) {
	line := fmt.Sprintf("%x  %s\n", sha256.Sum256(nil), host.ExecutableName("x"))
	for _, tc := range []struct {
		name    string
		dirMode os.FileMode
		mode    os.FileMode
		want    string
	}{
		{"safe", 0o755, 0o644, ""},
		{"world-writable file", 0o755, 0o666, "the file is writable by every user"},
		{"world-writable directory", 0o777, 0o644, "directory %s is writable by every user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := dirWithMode(t, filepath.Join(t.TempDir(), "etc"), tc.dirMode)
			path := filepath.Join(dir, "plugins.sha256")
			if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			sums, err := host.LoadChecksums(path)
			if tc.want == "" {
				if err != nil || sums.Len() != 1 {
					t.Fatalf("LoadChecksums = %v, %v", sums, err)
				}
				return
			}
			if !errors.Is(err, host.ErrInsecure) {
				t.Fatalf("LoadChecksums = %v, want ErrInsecure", err)
			}
			culprit := path
			if tc.dirMode&0o002 != 0 {
				culprit = dir
			}
			want := tc.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, culprit)
			}
			mustContain(t, err, "checksum file "+path, want)
		})
	}
}

// With a checksum file, the file hashed is the file run: a plugin swapped
// for another between the check and the start, over and over, never gets
// the other one run. The attacker's program is another program's plugin
// (an executable, so that its start is one exec): when it runs, Launch
// fails with ErrHandshake.
func TestChecksumSwapRace(t *testing.T) {
	const runs = 40
	ctx := testCtx(t)
	dir := dirWithMode(t, filepath.Join(t.TempDir(), "plugins"), 0o755)
	good := copyPlugin(t, linetcpBin, filepath.Join(dir, "good"), 0o755)
	evil := copyPlugin(t, foreignBin, filepath.Join(dir, "evil"), 0o755)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, filepath.Base(good))
	sums, err := host.ParseChecksums(strings.NewReader(fmt.Sprintf("%x  %s\n", sha256.Sum256(b), filepath.Base(target))), "test")
	if err != nil {
		t.Fatal(err)
	}
	// place puts a hard link of from at target, atomically.
	place := func(from string) error {
		tmp := target + ".swap"
		_ = os.Remove(tmp)
		if err := os.Link(from, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, target)
	}
	if err := place(good); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	swaps := 0
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Each for a moment, about as long as a start takes from
			// the check to the exec.
			for _, f := range []string{evil, good} {
				if err := place(f); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
			}
			swaps++
		}
	})
	started, refused, ran := 0, 0, 0
	for range runs {
		p, err := host.Launch(ctx, target, host.Config{Checksums: sums})
		switch {
		case err == nil:
			started++
			if p.Description().Name != "linetcp" {
				t.Errorf("a started plugin describes itself as %+v", p.Description())
			}
			p.Close()
		case errors.Is(err, host.ErrChecksumMismatch):
			refused++
		case errors.Is(err, host.ErrHandshake):
			ran++
			t.Logf("the attacker's program ran: %v", err)
		default:
			t.Errorf("Launch: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d runs during %d swaps: %d started the checked plugin, %d refused the swapped one, %d ran the attacker's", runs, swaps, started, refused, ran)
	if ran > 0 {
		t.Errorf("the attacker's program ran %d times of %d", ran, runs)
	}
}
