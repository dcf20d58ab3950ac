package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/pluginapi/host"
	"github.com/bphost/bphost/plugins/websocket/wsconn"
)

// device is the one simulated toy every client path drives.
const device = "Lovense Hush"

// serveProc is one `bphost serve` process with the simulated device.
type serveProc struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when its output is drained
}

var serveURL = regexp.MustCompile(`on (ws://127\.0\.0\.1:[0-9]+)`)

// startServe starts bin/bphost serve on a free loopback port and waits for
// it to say where it listens. Its output (a line per device write) is read
// and discarded, as a terminal would take it.
func startServe(ctx context.Context, bin string) (*serveProc, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "bphost"), "serve",
		"--listen", "ws://127.0.0.1:0", "--simulate", device, "--use-bluetooth-le=false")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bphost serve: %w", err)
	}
	p := &serveProc{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := serveURL.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case p.url = <-found:
		return p, nil
	case <-p.done:
	case <-time.After(30 * time.Second):
	}
	p.stop()
	return nil, fmt.Errorf("bphost serve did not say where it listens")
}

func (p *serveProc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	<-p.done
	_ = p.cmd.Wait()
}

// measureConnector connects our client through conn, finds the simulated
// device, and measures Vibrate → Ok on it.
// m meters the processes on the path.
func measureConnector(ctx context.Context, sz Sizes, m cpuMeter, conn connector.Connector) (Result, error) {
	c := client.New("benche2e")
	if err := c.Connect(ctx, conn); err != nil {
		return Result{}, fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = c.Disconnect(context.Background()) }()
	d, err := findDevice(ctx, c)
	if err != nil {
		return Result{}, err
	}
	// Alternate levels so that no command is dropped as a repeat.
	return measureClient(ctx, sz, m, func(ctx context.Context, i int) error {
		return d.Vibrate(ctx, client.Steps(int32(1+i%2)))
	})
}

func findDevice(ctx context.Context, c *client.Client) (*client.Device, error) {
	if ds := c.Devices(); len(ds) > 0 {
		return ds[0], nil
	}
	if err := c.StartScanning(ctx); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ds := c.Devices(); len(ds) > 0 {
			_ = c.StopScanning(ctx)
			return ds[0], nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil, fmt.Errorf("no device after a 10s scan")
}

// wsInHost: our client with the websocket connector in this process.
func wsInHost(ctx context.Context, sz Sizes, srv *serveProc) (Result, error) {
	conn, err := wsconn.New(wsconn.Options{Address: srv.url})
	if err != nil {
		return Result{}, err
	}
	return measureConnector(ctx, sz, cpuMeter{pids: []int{srv.cmd.Process.Pid}}, conn)
}

// launch starts the plugin bin/plugins/bphost-connector-name.
func launch(ctx context.Context, dir, name string) (*host.Plugin, error) {
	return host.Launch(ctx, filepath.Join(dir, host.ExecutableName(name)), host.Config{})
}

// throughPlugin: our client through a plugin process with opts; pids are
// the other processes on the path.
func throughPlugin(ctx context.Context, sz Sizes, dir, name string, opts map[string]string, pids ...int) (Result, error) {
	p, err := launch(ctx, dir, name)
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	return measureConnector(ctx, sz, cpuMeter{pids: append(pids, p.Pid())}, p.Connector(opts))
}

// inProcess: our client on an embedded server in this process.
func inProcess(ctx context.Context, sz Sizes) (Result, error) {
	e, err := embedded.New(embedded.Config{Simulate: []string{device}})
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	return measureConnector(ctx, sz, cpuMeter{}, e.Connector())
}

// pluginHop: frames through pluginapi/host to a plugin process whose
// sessions echo, with no transport or server behind it.
func pluginHop(ctx context.Context, sz Sizes, dir string, frame []byte) (Result, error) {
	p, err := launch(ctx, dir, "echo")
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	c := p.Connector(nil)
	if err := c.Connect(ctx); err != nil {
		return Result{}, err
	}
	defer c.Close()
	return measureEcho(ctx, sz, cpuMeter{pids: []int{p.Pid()}}, connEcho{c}, frame)
}

type connEcho struct{ c connector.Connector }

func (e connEcho) send(ctx context.Context, f []byte) error { return e.c.Send(ctx, f) }

func (e connEcho) recv(ctx context.Context) error {
	_, err := e.c.Recv(ctx)
	return err
}

// devicesWall times `bphost devices --simulate "Lovense Hush"` from start
// to exit, runs times, and returns the median.
func devicesWall(ctx context.Context, bin string, runs int) (time.Duration, error) {
	var times []time.Duration
	for range runs {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "bphost"), "devices", "--simulate", device,
			"--opt", "use-bluetooth-le=false")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("bphost devices: %w\n%s", err, out)
		}
		times = append(times, time.Since(t0))
	}
	p50, _, err := percentiles(times)
	return p50, err
}
