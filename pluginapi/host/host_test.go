package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/pluginapi"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/pluginapi/internal/testtransport"
	"github.com/bphost/bphost/pluginapi/plugintest"
)

// exchange sends one frame each way between a host connector and the peer's
// end of its session.
func exchange(t *testing.T, ctx context.Context, host, peer connector.Connector, n int) {
	t.Helper()
	up, down := plugintest.Frame("up", n, 100), plugintest.Frame("down", n, 100)
	if err := host.Send(ctx, up); err != nil {
		t.Fatalf("host Send: %v", err)
	}
	if got, err := peer.Recv(ctx); err != nil || string(got) != string(up) {
		t.Fatalf("peer Recv = %.40q, %v; want %.40q", got, err, up)
	}
	if err := peer.Send(ctx, down); err != nil {
		t.Fatalf("peer Send: %v", err)
	}
	if got, err := host.Recv(ctx); err != nil || string(got) != string(down) {
		t.Fatalf("host Recv = %.40q, %v; want %.40q", got, err, down)
	}
}

// connect opens a session of p to a fresh line peer.
func connect(t *testing.T, ctx context.Context, p *host.Plugin, extra map[string]string) (*host.Connector, connector.Connector) {
	t.Helper()
	peer := plugintest.LinePeer(t)
	opts := peer.Options()
	for k, v := range extra {
		opts[k] = v
	}
	c := p.Connector(opts)
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	end, err := peer.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, end
}

func TestBinaryHandshakeDescribeOpenFrames(t *testing.T) {
	ctx := testCtx(t)
	var log logBuffer
	p := launch(t, linetcpBin, host.Config{Logger: log.logger()})
	pid := p.Pid()
	if pid <= 0 || pid == os.Getpid() {
		t.Fatalf("Pid = %d, want the plugin's own process", pid)
	}
	d := p.Description()
	if d.Name != testtransport.Name || d.Version != "0.0.1-test" || d.ContractVersion != pluginapi.ContractVersion {
		t.Errorf("Description = %+v", d)
	}
	if len(d.Options) != 3 || d.Options[0].Name != "address" || d.Options[2].Type != pluginapi.OptionBool || d.Options[1].Default != "tcp" {
		t.Errorf("Options = %+v", d.Options)
	}
	if d.MaxFrame != pluginapi.MaxFrame {
		t.Errorf("MaxFrame = %d", d.MaxFrame)
	}
	c, peer := connect(t, ctx, p, nil)
	for i := range 3 {
		exchange(t, ctx, c, peer, i)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The plugin's own log line arrives under its executable's name.
	if l := log.String(); !strings.Contains(l, "host.bphost-connector-linetcp") || !strings.Contains(l, "opening session") {
		t.Errorf("plugin log not forwarded with its name; host log:\n%s", l)
	}
	p.Close()
	waitGone(t, pid, "after Plugin.Close")
	if err := c.Connect(ctx); !errors.Is(err, host.ErrPluginExited) {
		t.Errorf("Connect after Plugin.Close: %v, want ErrPluginExited", err)
	}
}

func TestConnectorErrors(t *testing.T) {
	ctx := testCtx(t)
	p := launch(t, linetcpBin, host.Config{})
	peer := plugintest.LinePeer(t)
	c := p.Connector(peer.Options())
	if err := c.Send(ctx, []byte("[]")); !errors.Is(err, connector.ErrNotConnected) {
		t.Errorf("Send before Connect: %v", err)
	}
	if _, err := c.Recv(ctx); !errors.Is(err, connector.ErrNotConnected) {
		t.Errorf("Recv before Connect: %v", err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx); !errors.Is(err, connector.ErrAlreadyConnected) {
		t.Errorf("second Connect: %v", err)
	}
	for _, tc := range []struct {
		name string
		opts map[string]string
		want []string
	}{
		{"unknown option", map[string]string{"adress": "x"}, []string{`unknown option "adress"`, "address, mode, noise"}},
		{"bad bool", map[string]string{"address": "127.0.0.1:1", "noise": "loud"}, []string{`option "noise"`, `"loud" is not a valid bool`}},
		{"transport says", map[string]string{"mode": "carrier-pigeon"}, []string{`unknown mode "carrier-pigeon"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Connector(tc.opts).Connect(ctx)
			if !errors.Is(err, pluginapi.ErrInvalidOptions) {
				t.Fatalf("Connect: %v, want ErrInvalidOptions", err)
			}
			var re *host.RemoteError
			if !errors.As(err, &re) || re.Plugin != testtransport.Name {
				t.Errorf("%v is not a RemoteError of %s", err, testtransport.Name)
			}
			mustContain(t, err, tc.want...)
		})
	}
	t.Run("frame too large", func(t *testing.T) {
		big := make([]byte, pluginapi.MaxFrame+1)
		if err := c.Send(ctx, big); !errors.Is(err, connector.ErrFrameTooLarge) {
			t.Errorf("Send of %d bytes: %v", len(big), err)
		}
	})
}

func TestPluginCloseEndsSessions(t *testing.T) {
	ctx := testCtx(t)
	p := launch(t, linetcpBin, host.Config{})
	c, _ := connect(t, ctx, p, nil)
	pid := p.Pid()
	p.Close()
	_, err := c.Recv(ctx)
	if !errors.Is(err, connector.ErrDisconnected) || !errors.Is(err, connector.ErrClosed) {
		t.Errorf("Recv after Plugin.Close: %v, want a disconnect caused by ErrClosed", err)
	}
	waitGone(t, pid, "after Plugin.Close")
}

func TestChecksumFile(t *testing.T) {
	ctx := testCtx(t)
	b, err := os.ReadFile(linetcpBin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	good := hex.EncodeToString(sum[:])
	bad := strings.Repeat("0", 64)
	name := filepath.Base(linetcpBin)
	for _, tc := range []struct {
		name    string
		file    string
		wantErr error
		want    []string
	}{
		{"match", good + "  " + name + "\n", nil, nil},
		{"sha256sum binary mode", "# made by sha256sum -b\n" + good + " *" + name + "\n", nil, nil},
		{"mismatch", bad + "  " + name + "\n", host.ErrChecksumMismatch,
			[]string{linetcpBin, "its sha256 is " + good, "line 1 expects " + bad}},
		{"not listed", good + "  bphost-connector-other\n", host.ErrNotListed,
			[]string{linetcpBin, "not listed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plugins.sha256")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			sums, err := host.LoadChecksums(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := host.Launch(ctx, linetcpBin, host.Config{Checksums: sums})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Launch: %v", err)
				}
				p.Close()
				return
			}
			if err == nil {
				p.Close()
				t.Fatal("Launch succeeded")
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Launch: %v, want %v", err, tc.wantErr)
			}
			mustContain(t, err, append(tc.want, path)...)
		})
	}
}

func TestWorldWritableRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no world-writable mode bit on Windows")
	}
	ctx := testCtx(t)
	for _, tc := range []struct {
		name     string
		dirMode  os.FileMode
		fileMode os.FileMode
		want     []string
	}{
		{"file", 0o755, 0o777, []string{"file", "writable by every user", "chmod o-w"}},
		{"directory", 0o777, 0o755, []string{"directory", "writable by every user", "chmod o-w"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := copyPlugin(t, linetcpBin, filepath.Join(t.TempDir(), "plugins"), tc.dirMode)
			if err := os.Chmod(path, tc.fileMode); err != nil {
				t.Fatal(err)
			}
			p, err := host.Launch(ctx, path, host.Config{})
			if err == nil {
				p.Close()
				t.Fatal("Launch succeeded")
			}
			if !errors.Is(err, host.ErrInsecure) {
				t.Errorf("Launch: %v, want ErrInsecure", err)
			}
			which := path
			if tc.name == "directory" {
				which = filepath.Dir(path)
			}
			mustContain(t, err, append(tc.want, which)...)
		})
	}
}

func TestForeignPluginRefused(t *testing.T) {
	p, err := host.Launch(testCtx(t), foreignBin, host.Config{})
	if err == nil {
		p.Close()
		t.Fatal("Launch of another program's plugin succeeded")
	}
	if !errors.Is(err, host.ErrHandshake) {
		t.Errorf("Launch: %v, want ErrHandshake", err)
	}
	t.Logf("the host says: %v", err)
	mustContain(t, err, foreignBin, "exited before completing the handshake", "exit status 1",
		"not a bphost connector plugin", "This binary is a plugin")
}

func TestOtherContractVersionRefused(t *testing.T) {
	t.Setenv("FOREIGN_CONTRACT", "2")
	p, err := host.Launch(testCtx(t), foreignBin, host.Config{})
	if err == nil {
		p.Close()
		t.Fatal("Launch of a plugin of contract v2 succeeded")
	}
	if !errors.Is(err, host.ErrHandshake) {
		t.Errorf("Launch: %v, want ErrHandshake", err)
	}
	t.Logf("the host says: %v", err)
	mustContain(t, err, foreignBin, "incompatible API version", "Plugin version: 2", "Client versions: [1]")
}

func TestPluginRunWithoutHostCookie(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"by hand", nil, "bphost starts it"},
		{"cookie mismatch", []string{pluginapi.Handshake.MagicCookieKey + "=another-contract"}, "handshake cookie mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(linetcpBin)
			cmd.Env = append(os.Environ(), tc.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("plugin run %s: %v, want exit status 1", tc.name, err)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("plugin said %q, want %q", out, tc.want)
			}
		})
	}
}

func TestStdoutNoiseDoesNotBreakHandshake(t *testing.T) {
	ctx := testCtx(t)
	t.Setenv("BPHOST_TEST_NOISE", "1")
	var log logBuffer
	p := launch(t, linetcpBin, host.Config{Logger: log.logger()})
	c, peer := connect(t, ctx, p, map[string]string{"noise": "true"})
	exchange(t, ctx, c, peer, 0)
	if l := log.String(); !strings.Contains(l, "printed on stdout before its handshake") {
		t.Errorf("noise before the handshake not reported; host log:\n%s", l)
	}
}

func TestLaunchErrors(t *testing.T) {
	ctx := testCtx(t)
	notPlugin := filepath.Join(t.TempDir(), "bphost-connector-script")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho hello\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		path    string
		wantErr error
		want    []string
	}{
		{"missing", ctx, filepath.Join(t.TempDir(), "bphost-connector-none"), os.ErrNotExist, []string{"bphost-connector-none"}},
		{"not a plugin", ctx, notPlugin, host.ErrHandshake, []string{notPlugin, "exit status 3"}},
		{"cancelled", cancelled, linetcpBin, context.Canceled, []string{linetcpBin}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "not a plugin" && runtime.GOOS == "windows" {
				t.Skip("shell script")
			}
			p, err := host.Launch(tc.ctx, tc.path, host.Config{})
			if err == nil {
				p.Close()
				t.Fatal("Launch succeeded")
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Launch: %v, want %v", err, tc.wantErr)
			}
			mustContain(t, err, tc.want...)
		})
	}
}

func ExampleLaunch() {
	ctx := context.Background()
	found, err := host.Discover(host.Dirs()).Lookup("websocket")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := host.Launch(ctx, found.Path, host.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	c := p.Connector(map[string]string{"address": "ws://127.0.0.1:12345"})
	if err := c.Connect(ctx); err != nil {
		fmt.Println(err) // wraps connector.ErrServerAbsent when nothing listens there
		return
	}
	defer c.Close()
	_ = c.Send(ctx, []byte(`[{"RequestServerInfo":{"Id":1,"ClientName":"example","ProtocolVersionMajor":3,"ProtocolVersionMinor":0}}]`))
}
