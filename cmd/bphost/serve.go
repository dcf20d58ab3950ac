package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/httpapi"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/core/server/listen"
	"github.com/bphost/bphost/internal/logbridge"
)

func serveCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	var sf serveFlags
	sf.register(fs)
	return func(ctx context.Context) error {
		sc, err := sf.resolve()
		if err != nil {
			return err
		}
		if sc.showVersion {
			fmt.Fprintf(a.stdout, "bphost %s\n", version())
			return nil
		}
		level := a.g.logLevel
		if sc.logLevel != "" {
			level = sc.logLevel
		}
		log, err := newLogger(a.stderr, level)
		if err != nil {
			return err
		}
		srvOpts := []server.Option{
			server.WithLogger(logbridge.Slog(log.Named("server"))),
			server.WithMaxPingTime(sc.maxPing),
		}
		if sc.serverName != "" {
			srvOpts = append(srvOpts, server.WithName(sc.serverName))
		}
		db, err := config.LoadFiles(sf.devConfig, sf.userConfig)
		if err != nil {
			return err
		}
		out := newLineLog(a.stdout)
		defer out.Close()
		e, err := embedded.New(embedded.Config{
			DB:                  db,
			Simulate:            a.g.simulate,
			BluetoothLE:         sf.useBLE,
			BLEAdapter:          sf.bleAdapter,
			Serial:              sf.useSerial,
			DeviceWebsocket:     sf.useDevWS,
			DeviceWebsocketAddr: sf.deviceWebsocketAddr(),
			Warn:                func(err error) { log.Warn(embedded.WarnLabel(err), "reason", err.Error()) },
			Device:              []device.Option{device.WithLogger(logbridge.Slog(log.Named("devices")))},
			Server:              append(srvOpts, server.WithSessionObserver(func(ev server.SessionEvent) { printSession(out, ev) })),
		})
		if err != nil {
			return err
		}
		defer e.Close()
		if sf.logWrites {
			for _, d := range e.Simulated.Devices() {
				name := d.Model()
				d.OnRecord(func(r simulated.Record) { out.record(time.Now(), name, r) })
			}
		}
		ls := make([]*listen.Listener, 0, len(sc.listen))
		defer func() {
			for _, l := range ls {
				l.Close()
			}
		}()
		for _, u := range sc.listen {
			l, err := listen.Listen(ctx, u, listen.WithAllowedOrigins(sf.allowOrigins...), listen.WithLogger(logbridge.Slog(log.Named("listen"))))
			if err != nil {
				return fmt.Errorf("listen on %s: %w", u, err)
			}
			ls = append(ls, l)
		}
		var urls []string
		for _, l := range ls {
			urls = append(urls, l.URL())
		}
		out.printf("bphost serve: Buttplug server %q on %s\n", e.Name(), strings.Join(urls, ", "))
		for _, l := range ls {
			if strings.HasPrefix(l.URL(), "ws:") {
				out.printf("%s lets in %s\n", l.URL(), l.Policy())
			}
		}
		stopPanel, err := startPanel(ctx, sf.httpAddr, sf.restPort, e, out)
		if err != nil {
			return err
		}
		defer stopPanel()
		if len(a.g.simulate) > 0 {
			out.printf("simulated devices (found when a client scans): %s\n", strings.Join(a.g.simulate, ", "))
		}
		err = listen.Serve(ctx, e.Server, ls...)
		if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
			out.printf("bphost serve: stopped\n")
			return nil
		}
		return err
	}
}

func printSession(out *lineLog, ev server.SessionEvent) {
	line := fmt.Sprintf("%s session %s", time.Now().Format("15:04:05.000"), ev.Kind)
	if ev.Client != "" {
		line += fmt.Sprintf(": client %q", server.DisplayName(ev.Client))
	}
	if ev.Version != 0 {
		line += fmt.Sprintf(" (spec %s)", ev.Version)
	}
	if ev.Err != nil {
		line += ": " + ev.Err.Error()
	}
	out.printf("%s\n", line)
}

// startPanel serves the control panel and REST API (core/httpapi) when
// --http or --rest-api-port asks for it, and prints its URL. It stops
// driving devices when ctx ends, before the deferred e.Close stops them.
func startPanel(ctx context.Context, httpAddr string, restPort int, e *embedded.Server, out *lineLog) (stop func(), err error) {
	addr, err := httpapi.ResolveAddr(httpAddr, restPort)
	if err != nil {
		return nil, usageError("serve: %v", err)
	}
	if addr == "" {
		return func() {}, nil
	}
	p, err := httpapi.Start(ctx, addr, httpapi.Config{Devices: e.Devices, Sessions: e.Server, Simulated: e.Simulated, ServerName: e.Name()})
	if err != nil {
		return nil, err
	}
	out.printf("bphost serve: control panel on %s (REST API under /api/v1/, header %s: %s)\n", p.URL(), httpapi.TokenHeader, p.Token())
	return func() { p.Close() }, nil
}
