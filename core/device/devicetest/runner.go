package devicetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
)

// AddedDevice is a device as the client saw it arrive.
type AddedDevice struct {
	Index             uint32
	Name, DisplayName string
}

// Client is the code path a vector is run through: it executes the
// vector's client messages. NewDirectClient drives the device manager
// directly; a server-backed client sends the same messages over a session.
// Device indexes are the vector's device_index values.
type Client interface {
	// StartScanning asks for devices.
	StartScanning(ctx context.Context) error
	// WaitDevices waits until n devices were added and returns them.
	WaitDevices(ctx context.Context, n int) ([]AddedDevice, error)
	// Send executes a Vibrate, Rotate, Linear, Scalar or Stop message.
	Send(ctx context.Context, device uint32, msg Message) error
	// Battery reads the battery level as a fraction (0-1).
	Battery(ctx context.Context, device uint32) (float64, error)
	// RSSI reads the signal strength.
	RSSI(ctx context.Context, device uint32) (int32, error)
	// Close ends the client.
	Close() error
}

// Env is what a case runs on: the configuration, the simulated backend with
// the case's devices, and the device manager over it.
type Env struct {
	DB      *config.DB
	Sim     *simulated.Manager
	Devices []*simulated.Device
	Manager *device.Manager
}

// ClientFactory builds the client a case runs through.
type ClientFactory func(ctx context.Context, env *Env) (Client, error)

// Options tune a run.
type Options struct {
	// SpecVersion filters !VersionGated steps (default 4).
	SpecVersion uint32
	// StepTimeout bounds the wait for each expected hardware operation and
	// for devices to appear (default 3s; the reference uses 500 ms, this
	// machine is shared).
	StepTimeout time.Duration
	// DeviceTimeout bounds the wait for the devices to be added, handshakes
	// included (default 10s).
	DeviceTimeout time.Duration
	// CaseTimeout bounds a whole case (default 30s).
	CaseTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.SpecVersion == 0 {
		o.SpecVersion = 4
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = 3 * time.Second
	}
	if o.DeviceTimeout == 0 {
		o.DeviceTimeout = 10 * time.Second
	}
	if o.CaseTimeout == 0 {
		o.CaseTimeout = 30 * time.Second
	}
	return o
}

// Result is the outcome of one case.
type Result struct {
	File string
	// Err is the first mismatch or failure; nil when the case passed.
	Err      error
	Duration time.Duration
}

// Passed reports whether the case passed.
func (r Result) Passed() bool { return r.Err == nil }

// Files lists the vector files (*.yaml, *.yml) of dir, sorted. An empty
// or missing directory is an error: nothing is skipped silently.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("device test vectors: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("device test vectors: no .yaml files in %s", dir)
	}
	return out, nil
}

// RunFile loads and runs one vector file.
func RunFile(ctx context.Context, path string, newClient ClientFactory, opt Options) Result {
	start := time.Now()
	c, err := Load(path)
	if err == nil {
		err = Run(ctx, c, newClient, opt)
	} else {
		err = fmt.Errorf("parse: %w", err)
	}
	return Result{File: path, Err: err, Duration: time.Since(start)}
}

// RunDir runs every vector of dir, one after the other.
func RunDir(ctx context.Context, dir string, newClient ClientFactory, opt Options) ([]Result, error) {
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(files))
	for _, f := range files {
		out = append(out, RunFile(ctx, f, newClient, opt))
	}
	return out, nil
}

// Summary writes "N passed, M failed" and one line per failing file with its
// first mismatch, and returns the number passed.
func Summary(w io.Writer, results []Result) int {
	passed := 0
	for _, r := range results {
		if r.Passed() {
			passed++
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, len(results)-passed)
	for _, r := range results {
		if !r.Passed() {
			fmt.Fprintf(w, "FAIL %s: %v\n", filepath.Base(r.File), r.Err)
		}
	}
	return passed
}

// Run runs one case through a client built by newClient.
func Run(ctx context.Context, c *Case, newClient ClientFactory, opt Options) (err error) {
	opt = opt.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opt.CaseTimeout)
	defer cancel()

	var user *config.Source
	var base *config.Source
	dir := filepath.Join(filepath.Dir(c.File), "config")
	if c.DeviceConfigFile != "" {
		b, err := os.ReadFile(filepath.Join(dir, c.DeviceConfigFile))
		if err != nil {
			return fmt.Errorf("device config: %w", err)
		}
		base = &config.Source{Name: c.DeviceConfigFile, Data: b}
	}
	if c.UserConfigFile != "" {
		b, err := os.ReadFile(filepath.Join(dir, c.UserConfigFile))
		if err != nil {
			return fmt.Errorf("user config: %w", err)
		}
		user = &config.Source{Name: c.UserConfigFile, Data: b}
	}
	db, err := config.Load(base, user)
	if err != nil {
		return err
	}
	sim := simulated.New(db)
	env := &Env{DB: db, Sim: sim}
	for _, d := range c.Devices {
		env.Devices = append(env.Devices, sim.AddAdvertised(comm.Advertisement{Bus: comm.BusBLE, Name: d.Name, Address: d.Address}))
	}
	failed := make(chan struct{})
	var failOnce sync.Once
	var failErr error
	env.Manager = device.NewManager(db, []comm.Manager{sim}, device.WithIOTimeout(opt.StepTimeout),
		device.WithConnectFailures(func(adv comm.Advertisement, err error) {
			failOnce.Do(func() {
				failErr = fmt.Errorf("device %q not connected: %w", adv.Name, err)
				close(failed)
			})
		}))
	defer func() {
		if cerr := env.Manager.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	cl, err := newClient(ctx, env)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer cl.Close()

	// A device that cannot connect ends the case at once with the reason,
	// instead of every later wait timing out.
	ctx, cancelCase := context.WithCancelCause(ctx)
	defer cancelCase(nil)
	go func() {
		select {
		case <-failed:
			cancelCase(failErr)
		case <-ctx.Done():
		}
	}()
	defer func() {
		if err != nil && context.Cause(ctx) != nil && context.Cause(ctx) != ctx.Err() {
			err = context.Cause(ctx)
		}
	}()
	r := &run{c: c, env: env, cl: cl, opt: opt, cursor: make([]int, len(env.Devices))}
	actx, cancelAsync := context.WithCancel(ctx)
	r.asyncCtx = actx
	defer func() {
		cancelAsync()
		r.async.Wait()
	}()
	if err := cl.StartScanning(ctx); err != nil {
		return fmt.Errorf("start scanning: %w", err)
	}
	for _, st := range c.Init {
		if st.MinSpec > opt.SpecVersion {
			continue
		}
		if st.Kind == StepMessages {
			return fmt.Errorf("line %d: messages during device_init", st.Line)
		}
		if err := r.step(ctx, st); err != nil {
			return fmt.Errorf("device_init: %w", err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, opt.DeviceTimeout)
	added, err := cl.WaitDevices(wctx, len(c.Devices))
	wcancel()
	if err != nil {
		return fmt.Errorf("waiting for %d device(s): %w", len(c.Devices), err)
	}
	for _, a := range added {
		if int(a.Index) >= len(c.Devices) {
			return fmt.Errorf("device added with index %d, the case has %d device(s)", a.Index, len(c.Devices))
		}
		want := c.Devices[a.Index]
		if want.ExpectedName != "" && a.Name != want.ExpectedName {
			return fmt.Errorf("device %d: name %q, want %q", a.Index, a.Name, want.ExpectedName)
		}
		if want.ExpectedDisplayName != "" && a.DisplayName != want.ExpectedDisplayName {
			return fmt.Errorf("device %d: display name %q, want %q", a.Index, a.DisplayName, want.ExpectedDisplayName)
		}
	}
	for _, st := range c.Commands {
		if st.MinSpec > opt.SpecVersion {
			continue
		}
		if err := r.step(ctx, st); err != nil {
			return err
		}
	}
	// Asynchronous messages (a battery read answered by a notification)
	// must have completed correctly too.
	done := make(chan struct{})
	go func() { r.async.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(opt.StepTimeout):
		return fmt.Errorf("asynchronous message did not complete within %v", opt.StepTimeout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.asyncErrs...)
}

type run struct {
	c      *Case
	env    *Env
	cl     Client
	opt    Options
	cursor []int // per device, operations already matched

	asyncCtx  context.Context
	async     sync.WaitGroup
	mu        sync.Mutex
	asyncErrs []error
}

func (r *run) step(ctx context.Context, st Step) error {
	if int(st.Device) >= len(r.env.Devices) {
		return fmt.Errorf("line %d: device_index %d, the case has %d device(s)", st.Line, st.Device, len(r.env.Devices))
	}
	sd := r.env.Devices[st.Device]
	switch st.Kind {
	case StepMessages:
		for _, m := range st.Messages {
			if err := r.message(ctx, st.Device, m); err != nil {
				return fmt.Errorf("line %d: %s: %w", m.Line, m.Kind, err)
			}
		}
	case StepCommands:
		for i, want := range st.Expect {
			got, err := r.next(ctx, st.Device, sd)
			if err != nil {
				return fmt.Errorf("line %d: operation %d of %d: expected %s, %w", want.Line, i+1, len(st.Expect), want, err)
			}
			if !matches(want, got) {
				return fmt.Errorf("line %d: operation %d of %d: expected %s, got %s", want.Line, i+1, len(st.Expect), want, describe(got))
			}
		}
	case StepEvents:
		for _, e := range st.Events {
			switch e.Kind {
			case EvNotifications:
				for _, n := range e.Items {
					// Like a radio, a device only notifies subscribed
					// endpoints; others are dropped.
					sd.Notify(n.Endpoint, n.Data)
				}
			case EvReads:
				for _, n := range e.Items {
					sd.QueueRead(n.Endpoint, n.Data)
				}
			case EvDisconnect:
				sd.Disconnect()
			}
		}
	}
	return nil
}

// next returns the device's next write/subscribe/unsubscribe not matched
// yet, waiting up to the step timeout.
func (r *run) next(ctx context.Context, dev uint32, sd *simulated.Device) (simulated.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opt.StepTimeout)
	defer cancel()
	for {
		ch := sd.Changed()
		n := 0
		for _, rec := range sd.Records() {
			if rec.Kind == simulated.RecordRead {
				continue
			}
			if n == r.cursor[dev] {
				r.cursor[dev]++
				return rec, nil
			}
			n++
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return simulated.Record{}, fmt.Errorf("the device received nothing more within %v", r.opt.StepTimeout)
		}
	}
}

func matches(want HWCommand, got simulated.Record) bool {
	switch want.Kind {
	case HWWrite:
		return got.Kind == simulated.RecordWrite && got.Endpoint == want.Endpoint &&
			bytes.Equal(got.Data, want.Data) && got.WithResponse == want.WithResponse
	case HWSubscribe:
		return got.Kind == simulated.RecordSubscribe && got.Endpoint == want.Endpoint
	case HWUnsubscribe:
		return got.Kind == simulated.RecordUnsubscribe && got.Endpoint == want.Endpoint
	}
	return false
}

func describe(r simulated.Record) string {
	switch r.Kind {
	case simulated.RecordWrite:
		s := fmt.Sprintf("Write %s %v", r.Endpoint, r.Data)
		if r.WithResponse {
			s += " with response"
		}
		return s
	case simulated.RecordSubscribe:
		return "Subscribe " + string(r.Endpoint)
	case simulated.RecordUnsubscribe:
		return "Unsubscribe " + string(r.Endpoint)
	}
	return r.String()
}

func (r *run) message(ctx context.Context, dev uint32, m Message) error {
	switch m.Kind {
	case MsgBattery:
		check := func(ctx context.Context) error {
			v, err := r.cl.Battery(ctx, dev)
			if err != nil {
				return err
			}
			if math.Abs(v-m.ExpectedPower) > 1e-9 {
				return fmt.Errorf("battery %v, want %v", v, m.ExpectedPower)
			}
			return nil
		}
		if !m.RunAsync {
			return check(ctx)
		}
		r.async.Add(1)
		go func() {
			defer r.async.Done()
			if err := check(r.asyncCtx); err != nil {
				r.mu.Lock()
				r.asyncErrs = append(r.asyncErrs, fmt.Errorf("line %d: asynchronous Battery: %w", m.Line, err))
				r.mu.Unlock()
			}
		}()
		return nil
	case MsgRSSI:
		_, err := r.cl.RSSI(ctx, dev)
		return err
	}
	return r.cl.Send(ctx, dev, m)
}
