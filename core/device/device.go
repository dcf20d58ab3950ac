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
	// queue agree on which command is the latest; the device goroutine
	// takes it around handler calls of its own.
	mu   sync.Mutex
	last map[uint32]protocols.Output // last output handed to the handler, per feature
	subs map[inputKey]bool           // owned by the device goroutine

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

// QueueDepth is how many calls (outputs, subscriptions) may wait for one
// device; beyond it they are refused with ErrBusy instead of piling up
// behind a device that stopped answering. Stops have stopReserve more.
const QueueDepth = 256

// stopReserve is room in a full queue kept for stops, so that a client's
// stop is queued behind the outputs it follows rather than refused.
const stopReserve = 32

// batch is one call queued for the device goroutine: output commands in
// groups (the commands of one handler call), or a task run in call order
// (subscriptions, which are not coalesced).
type batch struct {
	groups [][]protocols.Command
	task   func(ctx context.Context) error
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
		reqs:      make(chan *batch, QueueDepth+stopReserve),
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
	wait, err := d.QueueOutputs(cmds)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// QueueOutputs checks and queues outputs like Outputs but returns at once,
// before they are written: it never blocks, and refuses with ErrBusy when
// QueueDepth calls wait. Commands queued by successive calls reach the
// device in call order, so a caller that must keep commands in order (a
// server session) need not wait for each write; commands still waiting for
// the message gap are coalesced with newer ones. wait blocks until the
// commands were written (or replaced by newer ones that were) or failed.
// Call it once: after a failed write it also forgets the values, so that
// sending them again is not skipped as a repeat.
func (d *Device) QueueOutputs(cmds []FeatureOutput) (wait func(context.Context) error, err error) {
	outs := make([]protocols.Output, 0, len(cmds))
	for _, c := range cmds {
		o, err := d.checkOutput(c)
		if err != nil {
			return nil, err
		}
		outs = append(outs, o)
	}
	return d.queue(context.Background(), outs, false, false)
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

// written is the wait of commands that needed no write.
func written(context.Context) error { return nil }

// queue encodes outs (skipping those equal to the last value of their
// feature unless force) and hands them to the device goroutine; the
// returned wait reports the write. Only a stop waits, with ctx, for room in
// a full queue.
func (d *Device) queue(ctx context.Context, outs []protocols.Output, force, stop bool) (func(context.Context) error, error) {
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
	if err := d.put(ctx, b, stop); err != nil {
		forget()
		return nil, err // put unlocked mu
	}
	return d.waiter(b, func() {
		d.mu.Lock()
		forget()
		d.mu.Unlock()
	}), nil
}

// put hands b to the device goroutine and unlocks d.mu, which the caller
// holds so that the queue's order is the order of the handler's state. A
// call finding QueueDepth waiting is refused with ErrBusy; a stop takes
// the room kept for stops and, past that, waits with ctx, without d.mu:
// the device goroutine may need it to drain the queue.
func (d *Device) put(ctx context.Context, b *batch, stop bool) error {
	if !stop && len(d.reqs) >= QueueDepth {
		d.mu.Unlock()
		return fmt.Errorf("device %d: %d calls waiting: %w", d.index, QueueDepth, ErrBusy)
	}
	select {
	case d.reqs <- b:
		d.mu.Unlock()
		return nil
	default:
	}
	d.mu.Unlock()
	select {
	case d.reqs <- b:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("device %d: queue stop: %w", d.index, ctx.Err())
	case <-d.quit:
		return fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
	}
}

// waiter returns the wait of queued batch b; failed runs after b failed.
func (d *Device) waiter(b *batch, failed func()) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case err := <-b.done:
			if err != nil && failed != nil {
				failed()
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
	}
}

// queueTask queues task to run on the device goroutine in call order; see
// put for stop.
func (d *Device) queueTask(ctx context.Context, task func(context.Context) error, stop bool) (func(context.Context) error, error) {
	if d.link.disconnected() {
		return nil, fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
	}
	b := &batch{task: task, done: make(chan error, 1)}
	d.mu.Lock()
	if err := d.put(ctx, b, stop); err != nil {
		return nil, err
	}
	return d.waiter(b, nil), nil
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
	// take runs a task at once, in call order; outputs are merged to wait
	// for the gap.
	take := func(b *batch) {
		if b.task == nil {
			merge(b)
			return
		}
		b.done <- b.task(d.life)
	}
	for {
		select {
		case b := <-d.reqs:
			take(b)
			// Take whatever else is already queued: a slow device gets the
			// latest values, not a backlog.
		drain:
			for {
				select {
				case nb := <-d.reqs:
					take(nb)
				default:
					break drain
				}
			}
			if len(waiters) == 0 || timerC != nil {
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
// does not double the readings. Reads run at once, in no order;
// subscriptions are queued as QueueInput queues them.
func (d *Device) Input(ctx context.Context, feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) (int32, error) {
	if cmd != protocol.InputCommandRead {
		wait, err := d.QueueInput(feature, typ, cmd)
		if err != nil {
			return 0, err
		}
		return 0, wait(ctx)
	}
	if err := d.checkInput(feature, typ, cmd); err != nil {
		return 0, err
	}
	ictx, cancel := context.WithTimeout(ctx, d.ioTimeout)
	defer cancel()
	v, err := d.read(ictx, feature, typ)
	if err != nil {
		return 0, d.ioError("read "+string(typ), ictx, err)
	}
	return v, nil
}

// QueueInput queues a subscribe or unsubscribe of one input behind the
// device's earlier calls, without blocking (ErrBusy when QueueDepth wait),
// so that successive calls take effect in call order; wait reports the
// result. A subscription made runs to its end even when wait gives up.
func (d *Device) QueueInput(feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) (wait func(context.Context) error, err error) {
	if err := d.checkInput(feature, typ, cmd); err != nil {
		return nil, err
	}
	var task func(context.Context) error
	switch cmd {
	case protocol.InputCommandSubscribe:
		task = func(ctx context.Context) error { return d.subscribe(ctx, feature, typ) }
	case protocol.InputCommandUnsubscribe:
		task = func(ctx context.Context) error { return d.unsubscribe(ctx, feature, typ) }
	default:
		return nil, fmt.Errorf("device %d: input command %q is not queued: %w", d.index, cmd, ErrUnsupported)
	}
	return d.queueTask(context.Background(), task, false)
}

// checkInput checks that the feature has input typ and allows cmd.
func (d *Device) checkInput(feature uint32, typ protocol.InputType, cmd protocol.InputCommandType) error {
	f := d.def.Feature(feature)
	if f == nil {
		return fmt.Errorf("device %d: feature %d: %w", d.index, feature, ErrUnknownFeature)
	}
	in := f.Input(typ)
	if in == nil {
		return fmt.Errorf("device %d feature %d: input %s: %w", d.index, feature, typ, ErrUnsupported)
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
		return fmt.Errorf("device %d feature %d: %s of %s: %w", d.index, feature, cmd, typ, ErrUnsupported)
	}
	if d.link.disconnected() {
		return fmt.Errorf("device %d: %w", d.index, ErrDisconnected)
	}
	return nil
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

// subscribe runs on the device goroutine, as do unsubscribe and the
// unsubscriptions of a stop: d.subs is theirs alone.
func (d *Device) subscribe(ctx context.Context, feature uint32, typ protocol.InputType) error {
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
	ctx, cancel := context.WithTimeout(ctx, d.ioTimeout)
	defer cancel()
	d.mu.Lock()
	err := s.SubscribeInput(ctx, d.link, feature, typ, emit)
	d.mu.Unlock()
	if err != nil {
		return d.ioError("subscribe "+string(typ), ctx, err)
	}
	d.subs[k] = true
	return nil
}

func (d *Device) unsubscribe(ctx context.Context, feature uint32, typ protocol.InputType) error {
	k := inputKey{feature, typ}
	if !d.subs[k] {
		return nil
	}
	s, ok := d.handler.(protocols.InputSubscriber)
	if !ok {
		return fmt.Errorf("device %d: unsubscribe %s: %w", d.index, typ, ErrUnsupported)
	}
	delete(d.subs, k)
	ctx, cancel := context.WithTimeout(ctx, d.ioTimeout)
	defer cancel()
	d.mu.Lock()
	err := s.UnsubscribeInput(ctx, d.link, feature, typ)
	d.mu.Unlock()
	if err != nil {
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
// of the whole device when feature is nil, and waits for it; see
// QueueStop.
func (d *Device) Stop(ctx context.Context, feature *uint32, inputs, outputs bool) error {
	wait, err := d.QueueStop(ctx, feature, inputs, outputs)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// QueueStop queues a stop behind the device's earlier calls, as Stop does
// it, and returns its wait. Outputs are stopped by setting each feature's
// first stoppable output to 0; a movement the protocol runs by itself
// (protocols.Halter) ends where it is. A stop is never refused for a full
// queue: past the room kept for stops it waits, with ctx.
func (d *Device) QueueStop(ctx context.Context, feature *uint32, inputs, outputs bool) (wait func(context.Context) error, err error) {
	var feats []*config.Feature
	if feature != nil {
		f := d.def.Feature(*feature)
		if f == nil {
			return nil, fmt.Errorf("device %d: feature %d: %w", d.index, *feature, ErrUnknownFeature)
		}
		feats = append(feats, f)
	} else {
		for i := range d.def.Features {
			feats = append(feats, &d.def.Features[i])
		}
	}
	var waits []func(context.Context) error
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
			w, err := d.queue(ctx, outs, false, true)
			if err != nil {
				return nil, err
			}
			waits = append(waits, w)
		}
	}
	if inputs {
		w, err := d.queueTask(ctx, func(ctx context.Context) error {
			var keys []inputKey
			for k := range d.subs {
				if feature == nil || k.feature == *feature {
					keys = append(keys, k)
				}
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i].feature < keys[j].feature })
			var errs []error
			for _, k := range keys {
				if err := d.unsubscribe(ctx, k.feature, k.typ); err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		}, true)
		if err != nil {
			return nil, err
		}
		waits = append(waits, w)
	}
	return func(ctx context.Context) error {
		var errs []error
		for _, w := range waits {
			errs = append(errs, w(ctx))
		}
		return errors.Join(errs...)
	}, nil
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
