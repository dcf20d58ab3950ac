package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/embedded"
	"github.com/bphost/bphost/core/protocol"
)

// demoDevices are the simulated toys of the demo: one of each kind of
// motion, so every path shows (a vibrator with a battery, a rotator, a
// stroker).
var demoDevices = []string{"Lovense Hush", "Vorze A10 Cyclone SA", "Lovense Solace Pro"}

// writeSink collects what the simulated devices received, from the
// embedded plugin's typed record stream (core/embedded.DeviceRecord).
type writeSink struct {
	mu      sync.Mutex
	byName  map[string][]string
	changed chan struct{}
}

func newWriteSink() *writeSink {
	return &writeSink{byName: map[string][]string{}, changed: make(chan struct{}, 1)}
}

func (s *writeSink) add(r embedded.DeviceRecord) {
	s.mu.Lock()
	s.byName[r.Device] = append(s.byName[r.Device], r.String())
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *writeSink) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byName[name])
}

// since waits until the device has received more than n records (or a
// short while passed) and returns the new ones.
func (s *writeSink) since(ctx context.Context, name string, n int) []string {
	deadline := time.NewTimer(2 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		recs := s.byName[name]
		s.mu.Unlock()
		if len(recs) > n {
			// The rest of a multi-write command follows closely.
			s.quiet(ctx, 50*time.Millisecond, time.Second)
			s.mu.Lock()
			recs = s.byName[name]
			s.mu.Unlock()
			return append([]string(nil), recs[n:]...)
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// quiet waits until no record has arrived for gap, or at most max.
func (s *writeSink) quiet(ctx context.Context, gap, max time.Duration) {
	limit := time.NewTimer(max)
	defer limit.Stop()
	for {
		t := time.NewTimer(gap)
		select {
		case <-s.changed:
			t.Stop()
			continue
		case <-t.C:
		case <-limit.C:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
		}
		return
	}
}

func demoCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	hold := fs.Duration("hold", 300*time.Millisecond, "how long each device runs before the next step")
	return func(ctx context.Context) error {
		if a.g.set["connector"] && a.g.connector != "embedded" {
			return usageError("demo runs on the embedded connector; use the other commands with --connector %s", a.g.connector)
		}
		a.g.connector = "embedded" // whatever the config file's default
		names := demoDevices
		if len(a.g.simulate) > 0 {
			names = a.g.simulate
		}
		sink := newWriteSink()
		records, err := embedded.ListenRecords(sink.add)
		if err != nil {
			return err
		}
		defer records.Close()
		log, err := newLogger(a.stderr, a.g.logLevel)
		if err != nil {
			return err
		}
		pl, err := a.newPluginLauncher(log)
		if err != nil {
			return err
		}
		w := a.stdout
		fmt.Fprintln(w, "bphost demo: a Buttplug client driving simulated toys through the embedded connector plugin")
		fmt.Fprintln(w)

		plug, err := pl.start(ctx, "embedded")
		if err != nil {
			return fmt.Errorf("%w (run `make build` first: the demo needs bin/plugins/bphost-connector-embedded)", err)
		}
		defer plug.Close()
		d := plug.Description()
		fmt.Fprintf(w, "1. plugin   %s %s, pid %d\n            %s\n", d.Name, d.Version, plug.Pid(), plug.Path())

		opts := a.connectorOptions()
		opts["simulate"] = strings.Join(names, ",")
		opts["record-socket"] = records.Path()
		// The demo shows simulated toys only, whatever radios are near.
		opts["use-bluetooth-le"] = "false"
		conn := plug.Connector(opts)
		defer conn.Close()
		c, disconnect, err := a.connect(ctx, conn, log)
		if err != nil {
			return err
		}
		defer func() { _ = disconnect() }()
		info, _ := c.ServerInfo()
		fmt.Fprintf(w, "2. connect  server %q, spec %s\n", info.Name, info.Version)

		fmt.Fprintf(w, "3. scan     for %s\n", strings.Join(names, ", "))
		err = a.scanFor(ctx, c, 5*time.Second, func(ds []*client.Device) bool { return len(ds) >= len(names) })
		if err != nil {
			return err
		}
		devs := c.Devices()
		if len(devs) < len(names) {
			return fmt.Errorf("scan found %d of %d simulated devices", len(devs), len(names))
		}
		var tbl strings.Builder
		printDevices(&tbl, devs)
		for _, line := range strings.Split(strings.TrimRight(tbl.String(), "\n"), "\n") {
			fmt.Fprintf(w, "            %s\n", line)
		}

		// Devices are identified with writes of their own when they connect;
		// let those records arrive so they are not shown as the answer to
		// the first command.
		sink.quiet(ctx, 200*time.Millisecond, 2*time.Second)
		fmt.Fprintln(w, "4. drive    (each line: what the client asked, then the bytes the toy received)")
		for _, dev := range devs {
			if err := demoDrive(ctx, a, dev, sink, *hold); err != nil {
				return err
			}
		}

		fmt.Fprintln(w, "5. stop     every device")
		before := map[string]int{}
		for _, dev := range devs {
			before[dev.Name()] = sink.count(dev.Name())
		}
		sctx, cancel := context.WithTimeout(ctx, a.g.timeout)
		err = c.StopAllDevices(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("stop all devices: %w", err)
		}
		for _, dev := range devs {
			printReceived(a, dev, sink.since(ctx, dev.Name(), before[dev.Name()]))
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "done: every device was driven and stopped. Next: `bphost help`, or `bphost serve` for other Buttplug clients.")
		return nil
	}
}

// demoDrive runs what the device can do and shows the bytes it received.
func demoDrive(ctx context.Context, a *app, dev *client.Device, sink *writeSink, hold time.Duration) error {
	type step struct {
		typ   protocol.OutputType
		level float64
		dur   time.Duration
		say   string
	}
	var steps []step
	switch {
	case dev.HasOutput(protocol.OutputVibrate):
		steps = append(steps, step{protocol.OutputVibrate, 0.5, 0, "vibrate at 0.5"})
	case dev.HasOutput(protocol.OutputRotate):
		steps = append(steps, step{protocol.OutputRotate, 0.3, 0, "rotate clockwise at 0.3"})
	case dev.HasOutput(protocol.OutputHwPositionWithDuration) || dev.HasOutput(protocol.OutputPosition):
		steps = append(steps, step{protocol.OutputPosition, 0.8, 500 * time.Millisecond, "move to 0.8 over 500ms"},
			step{protocol.OutputPosition, 0.1, 500 * time.Millisecond, "move to 0.1 over 500ms"})
	}
	for _, st := range steps {
		n := sink.count(dev.Name())
		rctx, cancel := context.WithTimeout(ctx, a.g.timeout)
		err := runOutput(rctx, dev, st.typ, featureIndex(), st.level, true, st.dur)
		cancel()
		if err != nil {
			return fmt.Errorf("device %d (%s): %s: %w", dev.Index(), dev.Name(), st.say, err)
		}
		fmt.Fprintf(a.stdout, "            device %d %s: %s\n", dev.Index(), dev.Name(), st.say)
		printReceived(a, dev, sink.since(ctx, dev.Name(), n))
		select {
		case <-time.After(hold):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if dev.HasInput(protocol.InputBattery, protocol.InputCommandRead) {
		rctx, cancel := context.WithTimeout(ctx, a.g.timeout)
		level, err := dev.Battery(rctx)
		cancel()
		if err != nil {
			return fmt.Errorf("device %d (%s): battery: %w", dev.Index(), dev.Name(), err)
		}
		fmt.Fprintf(a.stdout, "            device %d %s: battery %d%%\n", dev.Index(), dev.Name(), level)
	}
	return nil
}

func printReceived(a *app, dev *client.Device, recs []string) {
	if len(recs) == 0 {
		fmt.Fprintf(a.stdout, "              %s received nothing\n", dev.Name())
		return
	}
	for _, r := range recs {
		fmt.Fprintf(a.stdout, "              -> %s\n", r)
	}
}
