// Command bphost is the Buttplug host: it finds connector plugins, starts the
// one asked for, connects a Buttplug client through it and drives devices;
// `bphost serve` runs the embedded server for any Buttplug client.
//
//	bphost demo                              # everything on simulated toys, no setup
//	bphost devices --scan 5s                 # through the embedded server
//	bphost --connector websocket devices     # through Intiface at ws://127.0.0.1:12345
//	bphost vibrate --device 0 --level 0.5 --duration 2s
//	bphost serve --listen ws://127.0.0.1:12345 --simulate "Lovense Hush"
//
// Run `bphost help` for every command and flag.
package main

import (
	"context"
	"os"

	"github.com/bphost/bphost/pluginapi/host"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx so commands stop their
	// devices and close their plugins; a second one, or 1.2 s without an
	// end, closes or kills the plugins and exits 130 (SIGINT) or 143
	// (SIGTERM).
	ctx, stop := signalContext(context.Background())
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	host.Cleanup()
	os.Exit(code)
}
