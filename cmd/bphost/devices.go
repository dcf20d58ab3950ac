package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bphost/bphost/core/client"
)

// defaultScan is how long commands scan for a device they were told to use
// when the server does not list it yet.
const defaultScan = 3 * time.Second

// scanGrace is how long a scan waits for devices after a server other than
// our own said it finished scanning: some servers (Intiface Engine) report
// ScanningFinished while a device they found is still connecting.
const scanGrace = 250 * time.Millisecond

// scanGrace returns how long to wait for devices after ScanningFinished:
// none through the embedded connector, whose server (core/device.Manager)
// reports ScanningFinished only after every device the scan found is added
// or given up.
func (a *app) scanGrace() time.Duration {
	if a.g.connector == "embedded" {
		return 0
	}
	return scanGrace
}

func devicesCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	scan := fs.Duration("scan", defaultScan, "how long to scan for devices (0: list what the server already has)")
	return func(ctx context.Context) error {
		if *scan < 0 {
			return usageError("devices: --scan must not be negative")
		}
		return a.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			if *scan > 0 {
				if err := a.scanFor(ctx, c, *scan, nil); err != nil {
					return err
				}
			}
			devs := c.Devices()
			if a.g.json {
				return writeJSON(a.stdout, devicesJSON(devs))
			}
			printDevices(a.stdout, devs)
			return nil
		})
	}
}

// scanFor scans for d, or until done reports true for the devices seen so
// far, showing progress on a terminal.
func (a *app) scanFor(ctx context.Context, c *client.Client, d time.Duration, done func([]*client.Device) bool) error {
	sub := c.Subscribe(64)
	defer sub.Close()
	if err := c.StartScanning(ctx); err != nil {
		return fmt.Errorf("start scanning: %w", err)
	}
	start := time.Now()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	progress := a.progress()
	defer progress.done()
	finished := false
	for !finished {
		if done != nil && done(c.Devices()) {
			break
		}
		progress.show(fmt.Sprintf("scanning %.1fs/%s, %d device(s)", time.Since(start).Seconds(), d, len(c.Devices())))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			finished = true
		case <-tick.C:
		case ev, ok := <-sub.C():
			if !ok {
				finished = true
				break
			}
			switch e := ev.(type) {
			case client.Disconnected:
				return fmt.Errorf("while scanning: %w", e.Err)
			case client.ScanningFinished:
				// The server is done looking (simulated devices, or every
				// backend gave up). Some servers report this just before
				// their last DeviceAdded, so late arrivals get a moment.
				// (Go 1.23+ timers: Reset never leaves a stale value in C.)
				grace := a.scanGrace()
				if grace == 0 {
					finished = true
					break
				}
				deadline.Reset(min(grace, max(d-time.Since(start), 0)))
			}
		}
	}
	progress.done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.g.timeout)
	defer cancel()
	if err := c.StopScanning(stopCtx); err != nil && c.Connected() {
		return fmt.Errorf("stop scanning: %w", err)
	}
	return nil
}

// findDevice returns the device with the given index, scanning for up to
// defaultScan when the server does not list it yet.
func (a *app) findDevice(ctx context.Context, c *client.Client, index uint32) (*client.Device, error) {
	if d, ok := c.Device(index); ok {
		return d, nil
	}
	err := a.scanFor(ctx, c, defaultScan, func([]*client.Device) bool {
		_, ok := c.Device(index)
		return ok
	})
	if err != nil {
		return nil, err
	}
	if d, ok := c.Device(index); ok {
		return d, nil
	}
	var have []string
	for _, d := range c.Devices() {
		have = append(have, fmt.Sprintf("%d (%s)", d.Index(), d.Name()))
	}
	if len(have) == 0 {
		return nil, fmt.Errorf("%w %d: the server found no devices after scanning %s", errNoDevice, index, defaultScan)
	}
	return nil, fmt.Errorf("%w %d; the server has %s", errNoDevice, index, strings.Join(have, ", "))
}

// deviceJSON is one device in `devices --json`.
type deviceJSON struct {
	Index       uint32        `json:"index"`
	Name        string        `json:"name"`
	DisplayName string        `json:"display_name,omitempty"`
	Features    []featureJSON `json:"features"`
}

type featureJSON struct {
	Index       uint32       `json:"index"`
	Description string       `json:"description,omitempty"`
	Outputs     []outputJSON `json:"outputs,omitempty"`
	Inputs      []inputJSON  `json:"inputs,omitempty"`
}

type outputJSON struct {
	Type     string    `json:"type"`
	Range    [2]int32  `json:"range"`
	Duration *[2]int32 `json:"duration,omitempty"`
}

type inputJSON struct {
	Type     string     `json:"type"`
	Ranges   [][2]int32 `json:"ranges"`
	Commands []string   `json:"commands"`
}

func devicesJSON(devs []*client.Device) []deviceJSON {
	out := make([]deviceJSON, 0, len(devs))
	for _, d := range devs {
		dj := deviceJSON{Index: d.Index(), Name: d.Name(), DisplayName: d.DisplayName(), Features: []featureJSON{}}
		for _, f := range d.Features() {
			fj := featureJSON{Index: f.Index, Description: f.Description}
			for _, o := range f.Outputs {
				oj := outputJSON{Type: string(o.Type), Range: o.Range}
				if o.Duration != nil {
					r := [2]int32(*o.Duration)
					oj.Duration = &r
				}
				fj.Outputs = append(fj.Outputs, oj)
			}
			for _, in := range f.Inputs {
				ij := inputJSON{Type: string(in.Type)}
				for _, r := range in.Ranges {
					ij.Ranges = append(ij.Ranges, r)
				}
				for _, c := range in.Commands {
					ij.Commands = append(ij.Commands, string(c))
				}
				fj.Inputs = append(fj.Inputs, ij)
			}
			dj.Features = append(dj.Features, fj)
		}
		out = append(out, dj)
	}
	return out
}

// printDevices writes one line per feature under each device.
func printDevices(w io.Writer, devs []*client.Device) {
	if len(devs) == 0 {
		fmt.Fprintln(w, "no devices")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tNAME\tFEATURE\tOUTPUTS\tINPUTS")
	for _, d := range devs {
		name := d.Name()
		if d.DisplayName() != "" && d.DisplayName() != name {
			name += " (" + d.DisplayName() + ")"
		}
		feats := d.Features()
		if len(feats) == 0 {
			fmt.Fprintf(tw, "%d\t%s\t-\t-\t-\n", d.Index(), name)
		}
		for i, f := range feats {
			idx, nm := "", ""
			if i == 0 {
				idx, nm = fmt.Sprint(d.Index()), name
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", idx, nm, f.Index, outputsText(f), inputsText(f))
		}
	}
	tw.Flush()
}

func outputsText(f client.Feature) string {
	var parts []string
	for _, o := range f.Outputs {
		parts = append(parts, fmt.Sprintf("%s %d..%d", o.Type, o.Range.Min(), o.Range.Max()))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func inputsText(f client.Feature) string {
	var parts []string
	for _, in := range f.Inputs {
		var cmds []string
		for _, c := range in.Commands {
			cmds = append(cmds, strings.ToLower(string(c)))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", in.Type, strings.Join(cmds, "/")))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// errNoDevice is wrapped when a command names a device the server lacks.
var errNoDevice = errors.New("no device")
