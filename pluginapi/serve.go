package pluginapi

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/bphost/bphost/pluginapi/internal/wire"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is the go-plugin handshake of bphost connector plugins. The host
// sets the cookie in the plugin's environment; a plugin started without it
// (by hand, or by another program's plugin loader) refuses to run.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ContractVersion,
	MagicCookieKey:   "BPHOST_CONNECTOR_PLUGIN",
	MagicCookieValue: "9a1e6f0c-bphost-connector-4d2b87e3",
}

// Serve runs t as a connector plugin: it is all a plugin's main does.
//
//	func main() { pluginapi.Serve(myTransport{}) }
//
// It answers the host's handshake, serves the contract over gRPC (sessions,
// the frame streams and their flow control, closing), forwards the plugin's
// log (Options.Logger) to the host under the plugin's name, and returns when
// the host ends the plugin or goes away; then every open session is closed.
// A host that died (even by SIGKILL) leaves broken pipes behind: writing to
// them does not kill the plugin (SIGPIPE is handled), its log stops going
// there, and the plugin exits only once every session's Close has returned
// (within five seconds), so a transport that drives hardware stops it.
// It runs the plugin's goroutines on one CPU (GOMAXPROCS=1) unless
// GOMAXPROCS is set in its environment (the host's, inherited).
// Whatever the plugin prints on stdout never reaches the handshake. Run by
// hand, without the host, it says so and exits with status 1; a Description
// that fails Validate exits with status 1 too.
func Serve(t Transport) {
	desc := t.Describe()
	if err := desc.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "bphost connector plugin: %v\n", err)
		os.Exit(1)
	}
	if got := os.Getenv(Handshake.MagicCookieKey); got != Handshake.MagicCookieValue {
		fmt.Fprintln(os.Stderr, cookieMessage(desc.Name, got))
		os.Exit(1)
	}
	// The host reads the plugin's stderr (its log) and stdout. Once the
	// host is gone those pipes are broken: a write to them must fail, not
	// kill the plugin with SIGPIPE before its sessions are closed.
	survivePipes()
	oneProc(os.Getenv)
	out := &hostOutput{w: os.Stderr}
	log := hclog.New(&hclog.LoggerOptions{
		Name:       desc.Name,
		Level:      hclog.Trace,
		Output:     out,
		JSONFormat: true,
	})
	srv := newServer(t, desc, log)
	done := make(chan struct{})
	defer close(done)
	if os.Getenv(wire.EnvWatchStdin) == "1" {
		go exitWhenHostGone(os.Stdin, out, srv, done)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: wire.PluginSets(ContractVersion, srv),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, wire.GRPCServerOptions()...)...)
		},
		Logger: log,
	})
	srv.Stop()
}

// oneProc sets GOMAXPROCS to 1 unless the environment sets it. A plugin
// pumps frames between the host's socket and its transport's, a few
// goroutine hand-offs per frame: on one P a hand-off stays on the thread
// that made it, where with more each one can wake an idle thread on another
// CPU first, which costs more than the frame's own work (make bench-e2e on
// 2 cores: the plugin hop's p50 113 → 77 µs, the websocket plugin's
// 326 → 228 µs). Transports that need more CPUs set GOMAXPROCS.
func oneProc(getenv func(string) string) int {
	if getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(1)
	return 1
}

// cookieMessage explains a missing or wrong handshake cookie.
func cookieMessage(name, got string) string {
	if got == "" {
		return fmt.Sprintf("bphost-connector-%s is a bphost connector plugin: bphost starts it "+
			"(for example `bphost plugins`, `bphost --connector %s devices`); it does nothing run by hand.", name, name)
	}
	return fmt.Sprintf("bphost-connector-%s: handshake cookie mismatch: %s is %q, this plugin "+
		"expects %q (bphost connector contract v%d); the host that started it speaks another "+
		"contract: rebuild the plugin or the host against the same pluginapi.",
		name, Handshake.MagicCookieKey, got, Handshake.MagicCookieValue, ContractVersion)
}

// hostGoneStop bounds how long a plugin whose host is gone waits for its
// sessions to close (a transport stopping its hardware) before it exits.
const hostGoneStop = 5 * time.Second

// exitWhenHostGone reads r, the pipe the host holds open, until EOF: the host
// has exited (even by SIGKILL), so the plugin stops logging to the host's
// dead pipe, closes its sessions (each transport's Close: a transport that
// drives hardware stops it there) and exits. It returns without exiting when
// done is closed first.
func exitWhenHostGone(r io.Reader, out *hostOutput, srv *server, done <-chan struct{}) {
	_, _ = io.Copy(io.Discard, r)
	select {
	case <-done:
		return
	default:
	}
	out.gone.Store(true)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		srv.Stop()
	}()
	select {
	case <-stopped:
	case <-time.After(hostGoneStop):
	}
	os.Exit(0)
}

// hostOutput is the plugin's log output, the host's end of its stderr. Once
// the host is gone (or a write fails: the pipe is broken) it discards, so
// that a plugin outliving its host never blocks or fails on its log.
type hostOutput struct {
	w    io.Writer
	gone atomic.Bool
}

func (o *hostOutput) Write(b []byte) (int, error) {
	if o.gone.Load() {
		return len(b), nil
	}
	if _, err := o.w.Write(b); err != nil {
		o.gone.Store(true)
	}
	return len(b), nil
}
