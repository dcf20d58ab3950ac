package host_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bphost/bphost/pluginapi/host"
)

// helperEnv, when set, makes the test binary a host process (hostHelper)
// with the mode it names.
const helperEnv = "BPHOST_TEST_HOST_HELPER"

// hostHelper is a host: it launches the plugin named by BPHOST_TEST_PLUGIN,
// prints "pid N", and then, by mode:
//   - exit: exits at once, without closing the plugin;
//   - wait: waits to be killed;
//   - signal: waits for SIGTERM with SignalContext, closes its plugins with
//     a deferred Cleanup and prints whether the plugin is gone.
func hostHelper() int {
	mode := os.Getenv(helperEnv)
	ctx, stop := host.SignalContext(context.Background())
	defer stop()
	defer host.Cleanup()
	p, err := host.Launch(ctx, os.Getenv("BPHOST_TEST_PLUGIN"), host.Config{})
	if err != nil {
		fmt.Println("launch:", err)
		return 1
	}
	pid := p.Pid()
	fmt.Printf("pid %d\n", pid)
	switch mode {
	case "exit":
		os.Exit(0) // no deferred Cleanup: the plugin must notice by itself
	case "wait":
		time.Sleep(time.Minute)
	case "signal":
		<-ctx.Done()
		host.Cleanup()
		fmt.Printf("plugin alive after cleanup: %v\n", processAlive(pid))
	}
	return 0
}

func TestPluginsDoNotOutliveHost(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	for _, mode := range []string{"exit", "wait", "signal"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+mode, "BPHOST_TEST_PLUGIN="+linetcpBin)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			var pid int
			if !lines.Scan() {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("host helper said nothing")
			}
			if _, err := fmt.Sscanf(lines.Text(), "pid %d", &pid); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("host helper said %q", lines.Text())
			}
			switch mode {
			case "wait":
				cmd.Process.Signal(syscall.SIGKILL)
			case "signal":
				cmd.Process.Signal(syscall.SIGTERM)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			cmd.Wait()
			ended := time.Now()
			waitGone(t, pid, "plugin of a host that "+map[string]string{
				"exit": "exited without cleanup", "wait": "was killed with SIGKILL", "signal": "got SIGTERM"}[mode])
			t.Logf("plugin pid %d gone %v after its host ended", pid, time.Since(ended).Round(time.Millisecond))
			if mode == "signal" && !strings.Contains(strings.Join(rest, "\n"), "plugin alive after cleanup: false") {
				t.Errorf("host helper said %q after SIGTERM, want the plugin gone after Cleanup", rest)
			}
		})
	}
}
