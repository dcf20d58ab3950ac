package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/protocols"
	"github.com/bphost/bphost/core/protocol"
)

// Device is one connected device. Its methods are safe for concurrent use.
//
// Outputs go through the device's own goroutine, which writes them to the
// hardware no closer together than the device's message timing gap:
// commands arriving inside the gap are coalesced, the latest value of each
// feature winning. Every hardware operation has its own timeout, so a hung
// device fails its own commands and never blocks other devices.
type Device struct {
	index     uint32
	protocol  string
	def       *config.Definition
	link      *link
	handler   protocols.Handler
	gap       time.Duration
	ioTimeout time.Duration
	log       *slog.Logger
	emit      func(Event)

	// mu orders encoding and queueing, so the handler's state and the
	// queue agree on which command is the latest.
	mu   sync.Mutex
	last map[uint32]protocols.Output // last output handed to the handler, per feature
	subs map[inputKey]bool

	reqs     chan *batch
	life     context.Context // cancelled by close, ending in-flight I/O
	endLife  context.CancelFunc
	quit     chan struct{} // closed by close
	taskDone chan struct{}
	once     sync.Once
}

type inputKey struct {
	feature uint32
	typ     protocol.InputType
}

// batch is one call's commands, queued for the device goroutine, in
// groups: the commands of one handler call.
type batch struct {
	groups [][]protocols.Command
	done   chan error // receives the result once, buffered
}

func newDevice(index uint32, protoName string, def *config.Definition, l *link, h protocols.Handler,
	gap, ioTimeout time.Duration, log *slog.Logger, emit func(Event)) *Device {
	d := &Device{
		index:     index,
		protocol:  protoName,
		def:       def,
		link:      l,
		handler:   h,
		gap:       gap,
		ioTimeout: ioTimeout,
		log:       log.With("device", index, "name", def.Name),
		emit:      emit,
		last:      map[uint32]protocols.Output{},
		subs:      map[inputKey]bool{},
		reqs:      make(chan *batch, 64),
		quit:      make(chan struct{}),
		taskDone:  make(chan struct{}),
	}
	d.life, d.endLife = context.WithCancel(context.Background())
	var keepalive time.Duration
	if k, ok := h.(protocols.Keepaliver); ok {
		keepalive = k.KeepaliveInterval()
	}
	go d.run(keepalive)
	return d
}

// Index returns the device index.
func (d *Device) Index() uint32 { return d.index }

// Name returns the model name.
func (d *Device) Name() string { return d.def.Name }

// DisplayName returns the user's name for the device, if any.
func (d *Device) DisplayName() string { return d.def.DisplayName }

// Protocol returns the name of the device's protocol.
func (d *Device) Protocol() string { return d.protocol }

// Address returns the device's address.
func (d *Device) Address() string { return d.link.Address() }

// MessageGap returns the minimum time between two writes to the device.
func (d *Device) MessageGap() time.Duration { return d.gap }

// Definition returns a copy of the device's definition.
func (d *Device) Definition() *config.Definition { return d.def.Clone() }

// Info describes the device in spec v4 form.
func (d *Device) Info() protocol.DeviceInfo { return d.def.DeviceInfo(d.index, d.gap) }

// Connected reports whether the device is still connected.
func (d *Device) Connected() bool { return !d.link.disconnected() }

// FeatureOutput is one output command for one feature.
type FeatureOutput struct {
	Feature uint32
	Command protocol.OutputCommand
}

// Output sets one output of one feature to a value in steps, inside the
// range Info advertises. It returns once the command was written to the
// device (or replaced by a newer one that was), or failed.
func (d *Device) Output(ctx context.Context, feature uint32, cmd protocol.OutputCommand) error {
	return d.Outputs(ctx, []FeatureOutput{{Feature: feature, Command: cmd}})
}

// Outputs sets several outputs at once: they are checked together (none is
// sent when one is invalid) and reach the device in one flush, coalesced,
// as a v3 ScalarCmd with several subcommands expects.
func (d *Device) Outputs(ctx context.Context, cmds []FeatureOutput) error {
	wait, err := d.QueueOutputs(ctx, cmds)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// QueueOutputs checks and queues outputs like Outputs but returns once they
// are queued, before they are written. Commands queued by successive calls
// reach the device in call order, so a caller that must keep commands in
// order (a server session) need not wait for each write; commands still
// waiting for the message gap are coalesced with newer ones. wait blocks
// until the commands were written (or replaced by newer ones that were) or
// failed. Call it once: after a failed write it also forgets the values, so
// that sending them again is not skipped as a repeat.
func (d *Device) QueueOutputs(ctx context.Context, cmds []FeatureOutput) (wait func(context.Context) error, err error) {
	outs := make([]protocols.Output, 0, len(cmds))
	for _, c := range cmds {
		o, err := d.checkOutput(c)
		if err != nil {
			return nil, err
		}
		outs = append(outs, o)
	}
	return d.queue(ctx, outs, false)
}

func (d *Device) checkOutput(c FeatureOutput) (protocols.Output, error) {
	f := d.def.Feature(c.Feature)
	if f == nil {
		return protocols.Output{}, fmt.Errorf("device %d: feature %d: %w", d.index, c.Feature, ErrUnknownFeature)
	}
	o := f.Output(c.Command.Type)
	if o == nil || o.Disabled {
		return protocols.Output{}, fmt.Errorf("device %d feature %d: output %s: %w", d.index, c.Feature, c.Command.Type, ErrUnsupported)
	}
	v, err := o.DeviceValue(c.Command.Value)
	if err != nil {
		return protocols.Output{}, fmt.Errorf("device %d feature %d: %w: %v", d.index, c.Feature, ErrOutOfRange, err)
	}
	out := protocols.Output{Feature: c.Feature, Type: c.Command.Type, Value: v}
	if c.Command.Type == protocol.OutputHwPositionWithDuration {
		dur, err := o.DeviceDuration(c.Command.Duration)
		if err != nil {
			return protocols.Output{}, fmt.Errorf("device %d feature %d: %w: %v", d.index, c.Feature, ErrOutOfRange, err)
		}
		out.Duration = dur
	}
	return out, nil
}

// send encodes outs (skipping those equal to the last value of their
// feature unless force) and waits for the write.
func (d *Device) send(ctx context.Context, outs []protocols.Output, force bool) error {
	wait, err := d.queue(ctx, outs, force)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// written is the wait of commands that needed no write.
func written(context.Context) error { return nil }

// queue encodes outs (skipping those equal to the last value of their
// feature unless force) and hands them to the device goroutine; the
// returned wait reports the write.
func (d *Device) queue(ctx context.Context, outs []protocols.Output, force bool) (func(context.Context) error, error) {
	if d.link.disconnected() {
		return nil, fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
	}
	d.mu.Lock()
	var groups [][]protocols.Command
	var touched []uint32
	for _, o := range outs {
		if last, ok := d.last[o.Feature]; ok && last == o && !force {
			continue
		}
		c, err := d.handler.Output(o)
		if err != nil {
			for _, f := range touched {
				delete(d.last, f)
			}
			delete(d.last, o.Feature)
			d.mu.Unlock()
			if errors.Is(err, protocols.ErrUnsupported) {
				return nil, fmt.Errorf("device %d: %w: %v", d.index, ErrUnsupported, err)
			}
			return nil, fmt.Errorf("device %d: encode %s for feature %d: %w", d.index, o.Type, o.Feature, err)
		}
		d.last[o.Feature] = o
		touched = append(touched, o.Feature)
		if len(c) > 0 {
			groups = append(groups, c)
		}
	}
	if len(groups) == 0 {
		d.mu.Unlock()
		return written, nil
	}
	b := &batch{groups: groups, done: make(chan error, 1)}
	forget := func() {
		for _, f := range touched {
			delete(d.last, f)
		}
	}
	select {
	case d.reqs <- b:
	case <-ctx.Done():
		forget()
		d.mu.Unlock()
		return nil, fmt.Errorf("device %d: queue command: %w", d.index, ctx.Err())
	case <-d.quit:
		d.mu.Unlock()
		return nil, fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
	}
	d.mu.Unlock()
	return func(ctx context.Context) error {
		select {
		case err := <-b.done:
			if err != nil {
				d.mu.Lock()
				forget()
				d.mu.Unlock()
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("device %d: wait for write: %w", d.index, ctx.Err())
		case <-d.taskDone:
			// The device went away; the batch may have been answered on the
			// way out, or never taken.
			select {
			case err := <-b.done:
				return err
			default:
				return fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
			}
		}
	}, nil
}

// run is the device goroutine: it writes queued commands, at most one flush
// per message gap, and sends keepalives.
func (d *Device) run(keepalive time.Duration) {
	defer close(d.taskDone)
	var (
		pending   []protocols.Command
		waiters   []chan error
		timer     *time.Timer
		timerC    <-chan time.Time
		lastWrite time.Time
		lastPkt   *protocols.Command
		keepC     <-chan time.Time
	)
	if keepalive > 0 {
		t := time.NewTicker(keepalive)
		defer t.Stop()
		keepC = t.C
	}
	// merge coalesces like the reference device task: a handler call
	// arriving while nothing waits is queued as it is; one arriving while
	// commands wait replaces, command by command, every waiting command that
	// carries a common feature (latest value wins).
	merge := func(b *batch) {
		for _, g := range b.groups {
			if len(pending) == 0 {
				pending = append(pending, g...)
				continue
			}
			for _, c := range g {
				kept := pending[:0]
				for _, p := range pending {
					if !c.Overlaps(p) {
						kept = append(kept, p)
					}
				}
				pending = append(kept, c)
			}
		}
		waiters = append(waiters, b.done)
	}
	flush := func() {
		var err error
		for _, c := range pending {
			if err = d.exec(c); err != nil {
				break
			}
			if c.Kind == protocols.CmdWrite {
				pc := c
				lastPkt = &pc
			}
		}
		lastWrite = time.Now()
		for _, w := range waiters {
			w <- err
		}
		pending, waiters = nil, nil
	}
	for {
		select {
		case b := <-d.reqs:
			merge(b)
			// Take whatever else is already queued: a slow device gets the
			// latest values, not a backlog.
		drain:
			for {
				select {
				case nb := <-d.reqs:
					merge(nb)
				default:
					break drain
				}
			}
			if timerC != nil {
				continue
			}
			if wait := d.gap - time.Since(lastWrite); wait > 0 {
				timer = time.NewTimer(wait)
				timerC = timer.C
				continue
			}
			flush()
		case <-timerC:
			timer, timerC = nil, nil
			flush()
		case <-keepC:
			if lastPkt != nil && time.Since(lastWrite) >= keepalive {
				if err := d.exec(*lastPkt); err != nil {
					d.log.Warn("keepalive write failed", "err", err)
				}
				lastWrite = time.Now()
			}
		case <-d.quit:
			if timer != nil {
				timer.Stop()
			}
			err := fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
			for _, w := range waiters {
				w <- err
			}
			// Fail whatever is still queued.
			for {
				select {
				case b := <-d.reqs:
					b.done <- err
				default:
					return
				}
			}
		}
	}
}

// exec performs one hardware command with the I/O timeout.
func (d *Device) exec(c protocols.Command) error {
	ctx, cancel := context.WithTimeout(d.life, d.ioTimeout)
	defer cancel()
	var err error
	what := "write "
	switch c.Kind {
	case protocols.CmdWrite:
		err = d.link.Write(ctx, c.Endpoint, c.Data, c.WithResponse)
	case protocols.CmdSubscribe:
		what = "subscribe "
		err = d.link.Subscribe(ctx, c.Endpoint)
	case protocols.CmdUnsubscribe:
		what = "unsubscribe "
		err = d.link.Unsubscribe(ctx, c.Endpoint)
	default:
		err = fmt.Errorf("unknown command kind %d", c.Kind)
	}
	if err != nil {
		return d.ioError(what+string(c.Endpoint), ctx, err)
	}
	return nil
}

func (d *Device) ioError(what string, ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("device %d: %s: %w after %v", d.index, what, ErrTimeout, d.ioTimeout)
	}
	return fmt.Errorf("device %d: %s: %w", d.index, what, err)
}

// Input reads, subscribes to or unsubscribes from one input. A Read returns
// the reading; the others return 0. Subscribing twice is not an error and
// does not double the readings.
func (d *Device) Input(ctx context.Context, feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) (int32, error) {
	f := d.def.Feature(feature)
	if f == nil {
		return 0, fmt.Errorf("device %d: feature %d: %w", d.index, feature, ErrUnknownFeature)
	}
	in := f.Input(typ)
	if in == nil {
		return 0, fmt.Errorf("device %d feature %d: input %s: %w", d.index, feature, typ, ErrUnsupported)
	}
	want := cmd
	if cmd == protocol.InputCommandUnsubscribe {
		want = protocol.InputCommandSubscribe
	}
	allowed := false
	for _, c := range in.Commands {
		allowed = allowed || c == want
	}
	if !allowed {
		return 0, fmt.Errorf("device %d feature %d: %s of %s: %w", d.index, feature, cmd, typ, ErrUnsupported)
	}
	if d.link.disconnected() {
		return 0, fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
	}
	ictx, cancel := context.WithTimeout(ctx, d.ioTimeout)
	defer cancel()
	switch cmd {
	case protocol.InputCommandRead:
		v, err := d.read(ictx, feature, typ)
		if err != nil {
			return 0, d.ioError("read "+string(typ), ictx, err)
		}
		return v, nil
	case protocol.InputCommandSubscribe:
		return 0, d.subscribe(ictx, feature, typ)
	case protocol.InputCommandUnsubscribe:
		return 0, d.unsubscribe(ictx, feature, typ)
	}
	return 0, fmt.Errorf("device %d: input command %q: %w", d.index, cmd, ErrUnsupported)
}

func (d *Device) read(ctx context.Context, feature uint32, typ protocol.InputType) (int32, error) {
	if r, ok := d.handler.(protocols.InputReader); ok {
		return r.ReadInput(ctx, d.link, feature, typ)
	}
	if typ == protocol.InputBattery {
		return protocols.ReadBLEBattery(ctx, d.link)
	}
	return 0, fmt.Errorf("%w: read %s", ErrUnsupported, typ)
}

func (d *Device) subscribe(ctx context.Context, feature uint32, typ protocol.InputType) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := inputKey{feature, typ}
	if d.subs[k] {
		return nil
	}
	s, ok := d.handler.(protocols.InputSubscriber)
	if !ok {
		return fmt.Errorf("device %d: subscribe %s: %w", d.index, typ, ErrUnsupported)
	}
	emit := func(v int32) {
		d.emit(Event{Kind: InputReading, Index: d.index, Reading: protocol.InputReading{
			DeviceIndex: d.index, FeatureIndex: feature,
			Reading: protocol.InputValue{Type: typ, Value: v},
		}})
	}
	if err := s.SubscribeInput(ctx, d.link, feature, typ, emit); err != nil {
		return d.ioError("subscribe "+string(typ), ctx, err)
	}
	d.subs[k] = true
	return nil
}

func (d *Device) unsubscribe(ctx context.Context, feature uint32, typ protocol.InputType) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := inputKey{feature, typ}
	if !d.subs[k] {
		return nil
	}
	s, ok := d.handler.(protocols.InputSubscriber)
	if !ok {
		return fmt.Errorf("device %d: unsubscribe %s: %w", d.index, typ, ErrUnsupported)
	}
	delete(d.subs, k)
	if err := s.UnsubscribeInput(ctx, d.link, feature, typ); err != nil {
		return d.ioError("unsubscribe "+string(typ), ctx, err)
	}
	return nil
}

// stopOrder is the order in which a feature's output is picked to stop it;
// positions cannot be stopped and are left where they are.
var stopOrder = []protocol.OutputType{
	protocol.OutputVibrate, protocol.OutputRotate, protocol.OutputOscillate, protocol.OutputConstrict,
	protocol.OutputInflate, protocol.OutputTemperature, protocol.OutputLed, protocol.OutputSpray,
}

// Stop stops the outputs and/or unsubscribes the inputs of one feature, or
// of the whole device when feature is nil. Outputs are stopped by setting
// each feature's first stoppable output to 0; a movement the protocol runs
// by itself (protocols.Halter) ends where it is.
func (d *Device) Stop(ctx context.Context, feature *uint32, inputs, outputs bool) error {
	var feats []*config.Feature
	if feature != nil {
		f := d.def.Feature(*feature)
		if f == nil {
			return fmt.Errorf("device %d: feature %d: %w", d.index, *feature, ErrUnknownFeature)
		}
		feats = append(feats, f)
	} else {
		for i := range d.def.Features {
			feats = append(feats, &d.def.Features[i])
		}
	}
	var errs []error
	if outputs {
		if h, ok := d.handler.(protocols.Halter); ok {
			d.mu.Lock()
			h.Halt()
			// The position now differs from the last one asked for, which
			// must be sent again if asked for again.
			for _, f := range feats {
				delete(d.last, f.Index)
			}
			d.mu.Unlock()
		}
		var outs []protocols.Output
		for _, f := range feats {
			for _, t := range stopOrder {
				if f.HasOutput(t) {
					outs = append(outs, protocols.Output{Feature: f.Index, Type: t, Value: 0})
					break
				}
			}
		}
		if len(outs) > 0 {
			if err := d.send(ctx, outs, false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if inputs {
		d.mu.Lock()
		var keys []inputKey
		for k := range d.subs {
			if feature == nil || k.feature == *feature {
				keys = append(keys, k)
			}
		}
		d.mu.Unlock()
		sort.Slice(keys, func(i, j int) bool { return keys[i].feature < keys[j].feature })
		for _, k := range keys {
			ictx, cancel := context.WithTimeout(ctx, d.ioTimeout)
			if err := d.unsubscribe(ictx, k.feature, k.typ); err != nil {
				errs = append(errs, err)
			}
			cancel()
		}
	}
	return errors.Join(errs...)
}

// close ends the device goroutine and the handler; the hardware is
// disconnected by the caller.
func (d *Device) close() {
	d.once.Do(func() {
		close(d.quit)
		d.endLife()
		<-d.taskDone
		if c, ok := d.handler.(protocols.Closer); ok {
			c.Close()
		}
	})
}

// String names the device for logs.
func (d *Device) String() string {
	return fmt.Sprintf("device %d (%s, %s)", d.index, d.def.Name, d.link.Address())
}
