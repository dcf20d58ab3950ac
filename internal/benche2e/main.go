// Command benche2e is `make bench-e2e`: it measures a Vibrate → Ok round
// trip through every path a command can take (and the floors under them) in
// one run on this machine, and prints the table, the ratios the performance
// goals name, and whether each goal is met.
//
// Every number is from the same run so that paths compare as ratios on a
// machine whose speed varies: absolute numbers on a shared machine mean
// little.
//
//	benche2e -bin bin -peers interop/peers
//
// -bin holds bphost and plugins/bphost-connector-{websocket,embedded,echo}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"time"
)

func main() {
	var (
		bin      = flag.String("bin", "bin", "`dir` of bphost, with the plugins in dir/plugins")
		peers    = flag.String("peers", "interop/peers", "`dir` of the npm peers (with node_modules)")
		npm      = flag.Bool("npm", true, "measure the npm buttplug client (needs node)")
		only     = flag.String("only", "", "measure only the rows whose key matches this `regexp`")
		jsonOut  = flag.String("json", "", "also write the results as JSON to `file`")
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of this process to `file`")
		echoSock = flag.String("grpc-echo-server", "", "internal: serve the gRPC floor's echo on this Unix socket `path`")
		sz       Sizes
		devRuns  int
	)
	flag.IntVar(&sz.Warmup, "warmup", 300, "round trips before measuring")
	flag.IntVar(&sz.Serial, "serial", 3000, "round trips measured one at a time")
	flag.IntVar(&sz.Pipeline, "pipeline", 20000, "commands measured pipelined")
	flag.IntVar(&sz.InFlight, "inflight", 64, "commands in flight while pipelined")
	flag.IntVar(&devRuns, "devices-runs", 5, "runs of `bphost devices` timed")
	flag.Parse()
	if *echoSock != "" {
		if err := serveGRPCEcho(*echoSock); err != nil {
			fmt.Fprintln(os.Stderr, "grpc echo server:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	sel, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benche2e: -only:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cfg := config{bin: *bin, peers: *peers, npm: *npm, sel: sel, sz: sz, devRuns: devRuns}
	t := run(ctx, cfg, os.Stderr)
	t.print(os.Stdout)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(t, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if t.failed() {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type config struct {
	bin, peers string
	npm        bool
	sel        *regexp.Regexp
	sz         Sizes
	devRuns    int
}

// frame is what the echo paths carry: a spec v4 Vibrate command.
var frame = []byte(`[{"OutputCmd":{"Id":1234,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]`)

// Row keys, in table order.
const (
	keyWSFloor   = "floor-ws"
	keyGRPCFloor = "floor-grpc"
	keyHop       = "plugin-hop"
	keyWSHost    = "ws-host"
	keyWSPlugin  = "ws-plugin"
	keyNPM       = "npm"
	keyInProc    = "in-process"
	keyEmbPlugin = "embedded-plugin"
	keyDevices   = "devices"
)

// run measures every selected row, logging progress to log. A row that
// fails keeps its error; the others are still measured.
func run(ctx context.Context, cfg config, log io.Writer) *Table {
	t := &Table{Sizes: cfg.sz}
	plugins := filepath.Join(cfg.bin, "plugins")
	measure := func(key, what string, f func() (Result, error)) {
		if !cfg.sel.MatchString(key) {
			return
		}
		fmt.Fprintf(log, "benche2e: %s\n", what)
		r, err := f()
		row := Row{Key: key, What: what, Result: r}
		if err != nil {
			row.Err = err.Error()
			fmt.Fprintf(log, "benche2e: %s: %v\n", key, err)
		}
		t.Rows = append(t.Rows, row)
	}
	measure(keyWSFloor, "raw gorilla websocket echo, one process (floor)", func() (Result, error) {
		return wsFloor(ctx, cfg.sz, frame)
	})
	measure(keyGRPCFloor, "bare grpc-go bidi-stream echo, two processes, Unix socket, server on one P as plugins are (floor of a plugin hop)", func() (Result, error) {
		return grpcFloor(ctx, cfg.sz, frame)
	})
	measure(keyHop, "plugin hop: pluginapi/host to an echo plugin process", func() (Result, error) {
		return pluginHop(ctx, cfg.sz, plugins, frame)
	})
	var srv *serveProc
	serve := func() (*serveProc, error) {
		if srv == nil {
			var err error
			if srv, err = startServe(ctx, cfg.bin); err != nil {
				return nil, err
			}
		}
		return srv, nil
	}
	defer func() {
		if srv != nil {
			srv.stop()
		}
	}()
	measure(keyWSHost, "our client, websocket connector in the host process → bphost serve", func() (Result, error) {
		srv, err := serve()
		if err != nil {
			return Result{}, err
		}
		return wsInHost(ctx, cfg.sz, srv)
	})
	measure(keyWSPlugin, "our client through the websocket plugin → bphost serve", func() (Result, error) {
		srv, err := serve()
		if err != nil {
			return Result{}, err
		}
		return throughPlugin(ctx, cfg.sz, plugins, "websocket", map[string]string{"address": srv.url}, srv.cmd.Process.Pid)
	})
	if cfg.npm {
		measure(keyNPM, "npm buttplug 5.0.2 client → bphost serve (JavaScript reference)", func() (Result, error) {
			srv, err := serve()
			if err != nil {
				return Result{}, err
			}
			return npmClient(ctx, cfg.sz, cfg.peers, srv)
		})
	}
	measure(keyInProc, "our client in process (core/embedded, server.Connector)", func() (Result, error) {
		return inProcess(ctx, cfg.sz)
	})
	measure(keyEmbPlugin, "our client through the embedded plugin", func() (Result, error) {
		return throughPlugin(ctx, cfg.sz, plugins, "embedded",
			map[string]string{"simulate": device, "use-bluetooth-le": "false"})
	})
	if cfg.sel.MatchString(keyDevices) {
		fmt.Fprintf(log, "benche2e: bphost devices, %d runs\n", cfg.devRuns)
		d, err := devicesWall(ctx, cfg.bin, cfg.devRuns)
		t.DevicesWall = d
		if err != nil {
			t.DevicesErr = err.Error()
		}
	}
	if err := ctx.Err(); err != nil {
		t.Err = err.Error()
	}
	return t
}
