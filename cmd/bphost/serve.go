package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm/btle"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/server"
	"github.com/bphost/bphost/core/server/listen"
	"github.com/bphost/bphost/internal/logbridge"
)

func serveCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	var listenURLs listFlag
	fs.Var(&listenURLs, "listen", "`URL` to serve: ws://host:port, tcp://host:port or unix:///path (repeatable; default "+listen.DefaultWebsocketURL+")")
	devConfig := fs.String("device-config", "", "device configuration `file` (default: the built-in official one)")
	userConfig := fs.String("user-device-config", "", "user device configuration `file` that adds or overrides devices")
	maxPing := fs.Duration("max-ping-time", 0, "drop clients that do not ping within this `time` (0: no ping needed)")
	useBLE := fs.Bool("use-bluetooth-le", true, "find and drive Bluetooth LE toys (BlueZ on Linux); --use-bluetooth-le=false turns it off")
	bleAdapter := fs.String("ble-adapter", btle.DefaultAdapter, "Bluetooth `adapter` to use (Linux)")
	var allowOrigins listFlag
	fs.Var(&allowOrigins, "allow-origin", "let browser pages from this `origin` use ws:// listeners: https://app.example.com, app.example.com or *.example.com (repeatable; default: any origin, as Intiface)")
	useSerial := fs.Bool("use-serial", false, "drive serial devices on the ports the user device config names")
	return func(ctx context.Context) error {
		if len(listenURLs) == 0 {
			listenURLs = listFlag{listen.DefaultWebsocketURL}
		}
		if *maxPing < 0 {
			return usageError("serve: --max-ping-time must not be negative")
		}
		log, err := newLogger(a.stderr, a.g.logLevel)
		if err != nil {
			return err
		}
		db, err := config.LoadFiles(*devConfig, *userConfig)
		if err != nil {
			return err
		}
		out := &lockedWriter{w: a.stdout}
		e, err := embedded.New(embedded.Config{
			DB:          db,
			Simulate:    a.g.simulate,
			BluetoothLE: *useBLE,
			BLEAdapter:  *bleAdapter,
			Serial:      *useSerial,
			Warn:        func(err error) { log.Warn("bluetooth LE off", "reason", err.Error()) },
			Device:      []device.Option{device.WithLogger(logbridge.Slog(log.Named("devices")))},
			Server: []server.Option{
				server.WithLogger(logbridge.Slog(log.Named("server"))),
				server.WithMaxPingTime(*maxPing),
				server.WithSessionObserver(func(ev server.SessionEvent) { printSession(out, ev) }),
			},
		})
		if err != nil {
			return err
		}
		defer e.Close()
		for _, d := range e.Simulated.Devices() {
			name := d.Model()
			d.OnRecord(func(r simulated.Record) {
				out.printf("%s %s <- %s\n", time.Now().Format("15:04:05.000"), name, r)
			})
		}
		ls := make([]*listen.Listener, 0, len(listenURLs))
		defer func() {
			for _, l := range ls {
				l.Close()
			}
		}()
		for _, u := range listenURLs {
			l, err := listen.Listen(ctx, u, listen.WithAllowedOrigins(allowOrigins...), listen.WithLogger(logbridge.Slog(log.Named("listen"))))
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

func printSession(out *lockedWriter, ev server.SessionEvent) {
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

// lockedWriter serializes lines written from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}
