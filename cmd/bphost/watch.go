package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/bphost/bphost/core/client"
	"github.com/bphost/bphost/core/connector"
	"github.com/bphost/bphost/core/protocol"
)

// errConnectionLost is wrapped when the server or the connector went away
// while a command was waiting on it.
var errConnectionLost = errors.New("connection lost")

// watchEvent is one line of `watch --json`.
type watchEvent struct {
	Time    string  `json:"time"`
	Event   string  `json:"event"`
	Device  *uint32 `json:"device,omitempty"`
	Name    string  `json:"name,omitempty"`
	Feature *uint32 `json:"feature,omitempty"`
	Input   string  `json:"input,omitempty"`
	Values  []int32 `json:"values,omitempty"`
	Error   string  `json:"error,omitempty"`
	Code    *int    `json:"code,omitempty"`
	Count   int     `json:"count,omitempty"`
}

func watchCmd(a *app, fs *flag.FlagSet) func(context.Context) error {
	scan := fs.Duration("scan", 10*time.Second, "scan for devices this long at the start (0: do not scan)")
	inputs := fs.Bool("inputs", false, "subscribe to every input that can be subscribed and print its readings")
	return func(ctx context.Context) error {
		if *scan < 0 {
			return usageError("watch: --scan must not be negative")
		}
		return a.withClient(ctx, func(ctx context.Context, c *client.Client) error {
			sub := c.Subscribe(256)
			defer sub.Close()
			info, _ := c.ServerInfo()
			a.printEvent(watchEvent{Event: "connected", Name: info.Name}, fmt.Sprintf("connected to %q (spec %s)", info.Name, info.Version))
			subscribed := map[uint32]bool{}
			for _, d := range c.Devices() {
				a.printDeviceEvent("device_added", d)
				if *inputs {
					a.subscribeInputs(ctx, d, subscribed)
				}
			}
			var scanEnd <-chan time.Time
			if *scan > 0 {
				if err := c.StartScanning(ctx); err != nil {
					return fmt.Errorf("start scanning: %w", err)
				}
				t := time.NewTimer(*scan)
				defer t.Stop()
				scanEnd = t.C
			}
			for {
				select {
				case <-ctx.Done():
					return nil // interrupted: the normal way to end watch
				case <-scanEnd:
					scanEnd = nil
					sctx, cancel := context.WithTimeout(ctx, a.g.timeout)
					err := c.StopScanning(sctx)
					cancel()
					if err != nil && c.Connected() {
						a.printEvent(watchEvent{Event: "error", Error: err.Error()}, "stop scanning: "+err.Error())
					}
				case ev, ok := <-sub.C():
					if !ok {
						return fmt.Errorf("%w: event stream closed", errConnectionLost)
					}
					if err := a.handleWatchEvent(ctx, ev, *inputs, subscribed); err != nil {
						return err
					}
				}
			}
		})
	}
}

// handleWatchEvent prints ev; it returns an error when the session ended.
func (a *app) handleWatchEvent(ctx context.Context, ev client.Event, inputs bool, subscribed map[uint32]bool) error {
	switch e := ev.(type) {
	case client.DeviceAdded:
		a.printDeviceEvent("device_added", e.Device)
		if inputs {
			a.subscribeInputs(ctx, e.Device, subscribed)
		}
	case client.DeviceRemoved:
		delete(subscribed, e.Device.Index())
		a.printDeviceEvent("device_removed", e.Device)
	case client.ScanningFinished:
		a.printEvent(watchEvent{Event: "scanning_finished"}, "scanning finished")
	case client.InputReading:
		idx, feat := e.Device.Index(), e.Feature
		a.printEvent(watchEvent{Event: "reading", Device: &idx, Name: e.Device.Name(), Feature: &feat, Input: string(e.Type), Values: e.Values},
			fmt.Sprintf("reading device %d (%s) feature %d %s: %s", idx, e.Device.Name(), feat, e.Type, joinInts(e.Values)))
	case client.ServerError:
		code := int(e.Err.ErrorCode)
		a.printEvent(watchEvent{Event: "server_error", Error: e.Err.Error(), Code: &code}, "server error: "+e.Err.Error())
	case client.PingFailed:
		a.printEvent(watchEvent{Event: "ping_failed", Error: e.Err.Error()}, "ping failed: "+e.Err.Error())
	case client.ProtocolError:
		a.printEvent(watchEvent{Event: "protocol_error", Error: e.Err.Error()}, "protocol error: "+e.Err.Error())
	case client.Missed:
		a.printEvent(watchEvent{Event: "missed", Count: e.Count}, fmt.Sprintf("missed %d event(s): output too slow", e.Count))
	case client.Disconnected:
		cause := disconnectCause(e.Err)
		a.printEvent(watchEvent{Event: "disconnected", Error: errString(cause)}, "disconnected: "+errString(cause))
		return fmt.Errorf("%w: %w", errConnectionLost, cause)
	}
	return nil
}

// subscribeInputs subscribes to every subscribable input of d once.
func (a *app) subscribeInputs(ctx context.Context, d *client.Device, done map[uint32]bool) {
	if done[d.Index()] {
		return
	}
	done[d.Index()] = true
	for _, f := range d.Features() {
		for _, in := range f.Inputs {
			if !in.Supports(protocol.InputCommandSubscribe) {
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, a.g.timeout)
			// Readings arrive as client events too, so the subscription's
			// own channel is not read; a buffer of 1 keeps it from mattering.
			_, err := d.SubscribeInput(sctx, f.Index, in.Type, 1)
			cancel()
			if err != nil {
				a.printEvent(watchEvent{Event: "error", Error: err.Error()}, fmt.Sprintf("subscribe device %d feature %d %s: %v", d.Index(), f.Index, in.Type, err))
			}
		}
	}
}

func (a *app) printDeviceEvent(kind string, d *client.Device) {
	idx := d.Index()
	text := fmt.Sprintf("device added %d: %s", idx, d.Name())
	if kind == "device_removed" {
		text = fmt.Sprintf("device removed %d: %s", idx, d.Name())
	}
	a.printEvent(watchEvent{Event: kind, Device: &idx, Name: d.Name()}, text)
}

// printEvent writes ev as a JSON line with --json, else text with a time.
func (a *app) printEvent(ev watchEvent, text string) {
	now := time.Now()
	if a.g.json {
		ev.Time = now.UTC().Format(time.RFC3339Nano)
		b, _ := json.Marshal(ev)
		fmt.Fprintf(a.stdout, "%s\n", b)
		return
	}
	fmt.Fprintf(a.stdout, "%s %s\n", now.Format("15:04:05.000"), text)
}

// disconnectCause returns why a session ended, without the "disconnected"
// wrapper that every such error has.
func disconnectCause(err error) error {
	var de *connector.DisconnectError
	if errors.As(err, &de) && de.Cause != nil {
		return de.Cause
	}
	return err
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}
