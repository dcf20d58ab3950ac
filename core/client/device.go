package client

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bphost/bphost/core/protocol"
)

// Device is a device the server reported. Its description does not change;
// when the server changes it, the client reports the old device removed and
// a new one added. Methods are safe for concurrent use.
type Device struct {
	sess     *session
	index    uint32
	name     string
	display  string
	gap      time.Duration
	features []Feature
	byIndex  map[uint32]int // feature index -> position in features
	routes   []v3Route      // spec v3 only, parallel to features
	raw      any            // what the server sent, to notice changes

	removed atomic.Bool

	subMu sync.Mutex
	subs  map[inputKey][]*InputSubscription
}

type inputKey struct {
	feature uint32
	typ     protocol.InputType
}

func newDeviceV4(s *session, info protocol.DeviceInfo) *Device {
	d := &Device{
		sess:     s,
		index:    info.DeviceIndex,
		name:     info.DeviceName,
		display:  info.DeviceDisplayName,
		gap:      time.Duration(info.DeviceMessageTimingGap) * time.Millisecond,
		features: featuresV4(info.DeviceFeatures),
		raw:      info,
	}
	d.indexFeatures()
	return d
}

func newDeviceV3(s *session, info protocol.DeviceInfoV3) *Device {
	d := &Device{
		sess:    s,
		index:   info.DeviceIndex,
		name:    info.DeviceName,
		display: info.DeviceDisplayName,
		raw:     info,
	}
	if info.DeviceMessageTimingGap != nil {
		d.gap = time.Duration(*info.DeviceMessageTimingGap) * time.Millisecond
	}
	d.features, d.routes = featuresV3(info.DeviceMessages)
	d.indexFeatures()
	return d
}

func (d *Device) indexFeatures() {
	d.byIndex = make(map[uint32]int, len(d.features))
	for i, f := range d.features {
		d.byIndex[f.Index] = i
	}
}

// Index is the server's index of the device.
func (d *Device) Index() uint32 { return d.index }

// Name is the device's name from the server's configuration.
func (d *Device) Name() string { return d.name }

// DisplayName is the name the user gave the device, or "".
func (d *Device) DisplayName() string { return d.display }

// MessageTimingGap is the shortest interval between commands the device
// handles well; 0 when the server gives none.
func (d *Device) MessageTimingGap() time.Duration { return d.gap }

// Features returns a copy of the device's features, sorted by index.
func (d *Device) Features() []Feature {
	out := make([]Feature, len(d.features))
	for i, f := range d.features {
		out[i] = f.clone()
	}
	return out
}

// Feature returns a copy of the feature with the given index.
func (d *Device) Feature(index uint32) (Feature, bool) {
	i := d.feature(index)
	if i < 0 {
		return Feature{}, false
	}
	return d.features[i].clone(), true
}

// HasOutput reports whether some feature has an output of type t.
func (d *Device) HasOutput(t protocol.OutputType) bool { return len(d.outputFeatures(t)) > 0 }

// HasInput reports whether some feature has an input of type t that accepts
// cmd.
func (d *Device) HasInput(t protocol.InputType, cmd protocol.InputCommandType) bool {
	_, err := d.inputFeature(t, cmd)
	return err == nil
}

// Connected reports whether the device is still present on a live session.
func (d *Device) Connected() bool { return !d.removed.Load() && !d.sess.isEnded() }

// String returns "[index] name".
func (d *Device) String() string { return fmt.Sprintf("[%d] %s", d.index, d.name) }

func (d *Device) feature(index uint32) int {
	if i, ok := d.byIndex[index]; ok {
		return i
	}
	return -1
}

func (d *Device) outputFeatures(t protocol.OutputType) []uint32 {
	var out []uint32
	for _, f := range d.features {
		if _, ok := f.Output(t); ok {
			out = append(out, f.Index)
		}
	}
	return out
}

// inputFeature returns the first feature with an input of type t that
// accepts cmd.
func (d *Device) inputFeature(t protocol.InputType, cmd protocol.InputCommandType) (uint32, error) {
	for _, f := range d.features {
		if in, ok := f.Input(t); ok && in.Supports(cmd) {
			return f.Index, nil
		}
	}
	return 0, fmt.Errorf("client: device %s: %w: no %s input accepting %s", d, ErrUnsupported, t, cmd)
}

// sensorFeature maps a spec v3 subscription reading back to its feature.
func (d *Device) sensorFeature(sensorIndex uint32, st protocol.SensorType) (uint32, protocol.InputType, bool) {
	for i, r := range d.routes {
		if r.sensorSub == int(sensorIndex) && r.sensorType == st && len(d.features[i].Inputs) == 1 {
			return d.features[i].Index, d.features[i].Inputs[0].Type, true
		}
	}
	return 0, "", false
}

// check fails when the device can no longer be used.
func (d *Device) check() error {
	if d.sess.isEnded() {
		return fmt.Errorf("client: device %s: %w: %w", d, ErrDeviceGone, d.sess.endErr())
	}
	if d.removed.Load() {
		return fmt.Errorf("client: device %s: %w", d, ErrDeviceGone)
	}
	return nil
}

// gone marks the device removed and ends its input subscriptions.
func (d *Device) gone() {
	d.removed.Store(true)
	d.subMu.Lock()
	subs := d.subs
	d.subs = nil
	d.subMu.Unlock()
	for _, list := range subs {
		for _, s := range list {
			s.sub.Close()
		}
	}
}

// Command sets one output of one feature; see Device.Run.
type Command struct {
	Feature uint32
	Type    protocol.OutputType
	Value   Value
	// Duration is the movement time of HwPositionWithDuration.
	Duration time.Duration
}

// Run sets several outputs at once: one ScalarCmd/RotateCmd/LinearCmd per
// kind under spec v3, one OutputCmd per feature (sent without waiting for
// each other) under spec v4. Every command is checked before anything is
// sent. It returns the first error.
func (d *Device) Run(ctx context.Context, cmds ...Command) error {
	if len(cmds) == 0 {
		return fmt.Errorf("client: device %s: no command given", d)
	}
	if err := d.check(); err != nil {
		return err
	}
	for i, c := range cmds { // one setting per output; lists are short
		for _, o := range cmds[:i] {
			if o.Feature == c.Feature && o.Type == c.Type {
				return fmt.Errorf("client: device %s: feature %d %s given twice", d, c.Feature, c.Type)
			}
		}
	}
	var msgs []protocol.Message
	var err error
	if d.sess.negotiated() == protocol.Version4 {
		msgs, err = d.outputsV4(cmds)
	} else {
		msgs, err = d.outputsV3(cmds)
	}
	if err != nil {
		return err
	}
	return d.sess.all(ctx, msgs)
}

func (d *Device) output(c Command) (Output, error) {
	i := d.feature(c.Feature)
	if i < 0 {
		return Output{}, fmt.Errorf("client: device %s: %w: no feature %d", d, ErrUnsupported, c.Feature)
	}
	o, ok := d.features[i].Output(c.Type)
	if !ok {
		return Output{}, fmt.Errorf("client: device %s feature %d: %w: no %s output", d, c.Feature, ErrUnsupported, c.Type)
	}
	return o, nil
}

func (d *Device) outputsV4(cmds []Command) ([]protocol.Message, error) {
	msgs := make([]protocol.Message, 0, len(cmds))
	for _, c := range cmds {
		o, err := d.output(c)
		if err != nil {
			return nil, err
		}
		n, err := c.Value.toSteps(o.Range)
		if err != nil {
			return nil, fmt.Errorf("client: device %s feature %d %s: %w", d, c.Feature, c.Type, err)
		}
		oc := protocol.OutputCommand{Type: c.Type, Value: n}
		if c.Type == protocol.OutputHwPositionWithDuration {
			if oc.Duration, err = durationMillis(c.Duration, o.Duration); err != nil {
				return nil, fmt.Errorf("client: device %s feature %d %s: %w", d, c.Feature, c.Type, err)
			}
		}
		msgs = append(msgs, &protocol.OutputCmd{DeviceIndex: d.index, FeatureIndex: c.Feature, Command: oc})
	}
	return msgs, nil
}

func (d *Device) outputsV3(cmds []Command) ([]protocol.Message, error) {
	var scalar *protocol.ScalarCmd
	var rotate *protocol.RotateCmd
	var linear *protocol.LinearCmd
	for _, c := range cmds {
		o, err := d.output(c)
		if err != nil {
			return nil, err
		}
		r := d.routes[d.feature(c.Feature)]
		v, negative, err := c.Value.toScalar(r.steps, o.Signed())
		if err != nil {
			return nil, fmt.Errorf("client: device %s feature %d %s: %w", d, c.Feature, c.Type, err)
		}
		switch r.kind {
		case v3Scalar:
			if scalar == nil {
				scalar = &protocol.ScalarCmd{DeviceIndex: d.index}
			}
			scalar.Scalars = append(scalar.Scalars, protocol.ScalarSubcommand{Index: r.index, Scalar: v, ActuatorType: r.actuator})
		case v3Rotate:
			if rotate == nil {
				rotate = &protocol.RotateCmd{DeviceIndex: d.index}
			}
			rotate.Rotations = append(rotate.Rotations, protocol.RotateSubcommand{Index: r.index, Speed: v, Clockwise: !negative})
		case v3Linear:
			ms, err := durationMillis(c.Duration, nil)
			if err != nil {
				return nil, fmt.Errorf("client: device %s feature %d %s: %w", d, c.Feature, c.Type, err)
			}
			if linear == nil {
				linear = &protocol.LinearCmd{DeviceIndex: d.index}
			}
			linear.Vectors = append(linear.Vectors, protocol.LinearVector{Index: r.index, Duration: ms, Position: v})
		default:
			return nil, fmt.Errorf("client: device %s feature %d: %w: no output", d, c.Feature, ErrUnsupported)
		}
	}
	var msgs []protocol.Message
	if scalar != nil {
		msgs = append(msgs, scalar)
	}
	if rotate != nil {
		msgs = append(msgs, rotate)
	}
	if linear != nil {
		msgs = append(msgs, linear)
	}
	return msgs, nil
}

// all sends every message before waiting for any reply, then waits for all;
// it returns the first error.
func (s *session) all(ctx context.Context, msgs []protocol.Message) error {
	sendCtx, deadline := s.bound(ctx)
	defer release(sendCtx)
	if len(msgs) == 1 { // the common case, without the slice
		c, err := s.start(sendCtx, msgs[0], noHandshake, deadline)
		if err != nil {
			return err
		}
		reply, err := s.settle(ctx, c)
		if err != nil {
			return err
		}
		return expectOk(msgs[0], reply)
	}
	calls := make([]*call, 0, len(msgs))
	var first error
	for _, m := range msgs {
		c, err := s.start(sendCtx, m, noHandshake, deadline)
		if err != nil {
			first = err
			break
		}
		calls = append(calls, c)
	}
	for i, c := range calls {
		reply, err := s.settle(ctx, c)
		if err == nil {
			err = expectOk(msgs[i], reply)
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// Output sets one output of one feature.
func (d *Device) Output(ctx context.Context, feature uint32, t protocol.OutputType, v Value) error {
	return d.Run(ctx, Command{Feature: feature, Type: t, Value: v})
}

// outputAll sets every feature's output of type t to v.
func (d *Device) outputAll(ctx context.Context, t protocol.OutputType, v Value, dur time.Duration) error {
	if err := d.check(); err != nil {
		return err
	}
	features := d.outputFeatures(t)
	if len(features) == 0 {
		return fmt.Errorf("client: device %s: %w: no %s output", d, ErrUnsupported, t)
	}
	cmds := make([]Command, len(features))
	for i, f := range features {
		cmds[i] = Command{Feature: f, Type: t, Value: v, Duration: dur}
	}
	return d.Run(ctx, cmds...)
}

// Vibrate sets every vibrator to v.
func (d *Device) Vibrate(ctx context.Context, v Value) error {
	return d.outputAll(ctx, protocol.OutputVibrate, v, 0)
}

// VibrateFeature sets one vibrator to v.
func (d *Device) VibrateFeature(ctx context.Context, feature uint32, v Value) error {
	return d.Output(ctx, feature, protocol.OutputVibrate, v)
}

// Oscillate sets every oscillator to v.
func (d *Device) Oscillate(ctx context.Context, v Value) error {
	return d.outputAll(ctx, protocol.OutputOscillate, v, 0)
}

// Constrict sets every constrictor to v.
func (d *Device) Constrict(ctx context.Context, v Value) error {
	return d.outputAll(ctx, protocol.OutputConstrict, v, 0)
}

// Inflate sets every inflator to v.
func (d *Device) Inflate(ctx context.Context, v Value) error {
	return d.outputAll(ctx, protocol.OutputInflate, v, 0)
}

// Position moves every positioner to v at the device's own speed.
func (d *Device) Position(ctx context.Context, v Value) error {
	return d.outputAll(ctx, protocol.OutputPosition, v, 0)
}

// PositionWithDuration moves every positioner to v over dur
// (HwPositionWithDuration; LinearCmd under spec v3).
func (d *Device) PositionWithDuration(ctx context.Context, v Value, dur time.Duration) error {
	return d.outputAll(ctx, protocol.OutputHwPositionWithDuration, v, dur)
}

// PositionWithDurationFeature moves one positioner to v over dur.
func (d *Device) PositionWithDurationFeature(ctx context.Context, feature uint32, v Value, dur time.Duration) error {
	return d.Run(ctx, Command{Feature: feature, Type: protocol.OutputHwPositionWithDuration, Value: v, Duration: dur})
}

// Rotate sets every rotator to speed in the given direction. Speed must not
// be negative; turning counter-clockwise needs a rotator with a signed range.
func (d *Device) Rotate(ctx context.Context, speed Value, clockwise bool) error {
	if err := d.check(); err != nil {
		return err
	}
	features := d.outputFeatures(protocol.OutputRotate)
	if len(features) == 0 {
		return fmt.Errorf("client: device %s: %w: no Rotate output", d, ErrUnsupported)
	}
	cmds := make([]Command, 0, len(features))
	for _, f := range features {
		c, err := d.rotateCommand(f, speed, clockwise)
		if err != nil {
			return err
		}
		cmds = append(cmds, c)
	}
	return d.Run(ctx, cmds...)
}

// RotateFeature sets one rotator to speed in the given direction.
func (d *Device) RotateFeature(ctx context.Context, feature uint32, speed Value, clockwise bool) error {
	c, err := d.rotateCommand(feature, speed, clockwise)
	if err != nil {
		return err
	}
	return d.Run(ctx, c)
}

func (d *Device) rotateCommand(feature uint32, speed Value, clockwise bool) (Command, error) {
	c := Command{Feature: feature, Type: protocol.OutputRotate, Value: speed}
	if speed.negative() {
		return c, fmt.Errorf("client: device %s: %w: rotation speed %v is negative; give the direction separately", d, ErrOutOfRange, speed)
	}
	o, err := d.output(c)
	if err != nil {
		return c, err
	}
	if !clockwise {
		if !o.Signed() {
			return c, fmt.Errorf("client: device %s feature %d: %w: it rotates one way only", d, feature, ErrUnsupported)
		}
		c.Value = speed.negate()
	}
	return c, nil
}

// Stop stops every output of the device (and, under spec v4, its input
// subscriptions on the server).
func (d *Device) Stop(ctx context.Context) error {
	if err := d.check(); err != nil {
		return err
	}
	if d.sess.negotiated() == protocol.Version4 {
		idx := d.index
		return d.sess.requestOk(ctx, &protocol.StopCmd{DeviceIndex: &idx})
	}
	return d.sess.requestOk(ctx, &protocol.StopDeviceCmd{DeviceIndex: d.index})
}

// ReadInput reads an input once. Spec v4 servers give one value; spec v3
// servers the reading's Data array.
func (d *Device) ReadInput(ctx context.Context, feature uint32, t protocol.InputType) ([]int32, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	m, err := d.inputMessage(feature, t, protocol.InputCommandRead)
	if err != nil {
		return nil, err
	}
	reply, err := d.sess.request(ctx, m)
	if err != nil {
		return nil, err
	}
	switch r := reply.(type) {
	case *protocol.InputReading:
		if r.DeviceIndex == d.index && r.FeatureIndex == feature && r.Reading.Type == t {
			return []int32{r.Reading.Value}, nil
		}
	case *protocol.SensorReading:
		if st, _ := inputSensor(t); r.DeviceIndex == d.index && r.SensorType == st &&
			int(r.SensorIndex) == d.routes[d.feature(feature)].sensorRead {
			return r.Data, nil
		}
	}
	return nil, fmt.Errorf("client: device %s: read %s: %w: got %s", d, t, ErrUnexpectedReply, describe(reply))
}

func describe(m protocol.Message) string {
	switch r := m.(type) {
	case *protocol.InputReading:
		return fmt.Sprintf("InputReading of device %d feature %d %s", r.DeviceIndex, r.FeatureIndex, r.Reading.Type)
	case *protocol.SensorReading:
		return fmt.Sprintf("SensorReading of device %d", r.DeviceIndex)
	}
	return m.MessageName()
}

// inputMessage builds the request for cmd on an input, checking that the
// feature has it.
func (d *Device) inputMessage(feature uint32, t protocol.InputType, cmd protocol.InputCommandType) (protocol.Message, error) {
	i := d.feature(feature)
	if i < 0 {
		return nil, fmt.Errorf("client: device %s: %w: no feature %d", d, ErrUnsupported, feature)
	}
	in, ok := d.features[i].Input(t)
	if !ok || !in.Supports(cmd) {
		return nil, fmt.Errorf("client: device %s feature %d: %w: no %s input accepting %s", d, feature, ErrUnsupported, t, cmd)
	}
	if d.sess.negotiated() == protocol.Version4 {
		return &protocol.InputCmd{DeviceIndex: d.index, FeatureIndex: feature, Type: t, Command: cmd}, nil
	}
	r := d.routes[i]
	switch cmd {
	case protocol.InputCommandRead:
		return &protocol.SensorReadCmd{DeviceIndex: d.index, SensorIndex: uint32(r.sensorRead), SensorType: r.sensorType}, nil
	case protocol.InputCommandSubscribe:
		return &protocol.SensorSubscribeCmd{DeviceIndex: d.index, SensorIndex: uint32(r.sensorSub), SensorType: r.sensorType}, nil
	default:
		return &protocol.SensorUnsubscribeCmd{DeviceIndex: d.index, SensorIndex: uint32(r.sensorSub), SensorType: r.sensorType}, nil
	}
}

// readFirst reads the first input of type t that accepts Read.
func (d *Device) readFirst(ctx context.Context, t protocol.InputType) (int32, error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	f, err := d.inputFeature(t, protocol.InputCommandRead)
	if err != nil {
		return 0, err
	}
	vals, err := d.ReadInput(ctx, f, t)
	if err != nil {
		return 0, err
	}
	if len(vals) == 0 {
		return 0, fmt.Errorf("client: device %s: read %s: %w: reading holds no value", d, t, ErrUnexpectedReply)
	}
	return vals[0], nil
}

// Battery reads the battery level as the server reports it, normally a
// percentage 0..100.
func (d *Device) Battery(ctx context.Context) (int32, error) {
	return d.readFirst(ctx, protocol.InputBattery)
}

// RSSI reads the radio signal strength in dBm (negative).
func (d *Device) RSSI(ctx context.Context) (int32, error) {
	return d.readFirst(ctx, protocol.InputRssi)
}

// InputSubscription receives the readings of one subscribed input on C, as
// InputReading events (and Missed when the reader falls behind). C is closed
// after Unsubscribe, when the device goes away, or when the session ends;
// readings still buffered then are dropped (every reading is also published
// as a client event).
type InputSubscription struct {
	sub *Subscription
	dev *Device
	key inputKey
}

// C returns the channel of readings.
func (s *InputSubscription) C() <-chan Event { return s.sub.C() }

// SubscribeInput subscribes to an input. Readings arrive on the returned
// subscription's channel (buffer readings deep) and as InputReading events
// of the client. Several subscriptions to the same input share one
// subscription on the server.
func (d *Device) SubscribeInput(ctx context.Context, feature uint32, t protocol.InputType, buffer int) (*InputSubscription, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	m, err := d.inputMessage(feature, t, protocol.InputCommandSubscribe)
	if err != nil {
		return nil, err
	}
	key := inputKey{feature, t}
	s := &InputSubscription{dev: d, key: key}
	s.sub = newSubscription(buffer, nil)
	d.subMu.Lock()
	first := len(d.subs[key]) == 0
	if d.subs == nil {
		d.subs = map[inputKey][]*InputSubscription{}
	}
	d.subs[key] = append(d.subs[key], s)
	d.subMu.Unlock()
	if first {
		if err := d.sess.requestOk(ctx, m); err != nil {
			d.dropSub(s)
			s.sub.Close()
			return nil, err
		}
	}
	if d.removed.Load() || d.sess.isEnded() {
		// The device went while we subscribed; gone may have missed s.
		d.dropSub(s)
		s.sub.Close()
	}
	return s, nil
}

// dropSub removes s from the device and reports whether it was the last
// subscription of its input.
func (d *Device) dropSub(s *InputSubscription) (last bool) {
	d.subMu.Lock()
	defer d.subMu.Unlock()
	list := d.subs[s.key]
	i := slices.Index(list, s)
	if i < 0 {
		return false
	}
	list = slices.Delete(list, i, i+1)
	if len(list) == 0 {
		delete(d.subs, s.key)
		return true
	}
	d.subs[s.key] = list
	return false
}

// Unsubscribe ends the subscription and closes C. When it was the last one
// of its input, the server is told to stop sending readings.
func (s *InputSubscription) Unsubscribe(ctx context.Context) error {
	last := s.dev.dropSub(s)
	s.sub.Close()
	if !last || !s.dev.Connected() {
		return nil
	}
	m, err := s.dev.inputMessage(s.key.feature, s.key.typ, protocol.InputCommandUnsubscribe)
	if err != nil {
		return err
	}
	return s.dev.sess.requestOk(ctx, m)
}

// UnsubscribeInput tells the server to stop sending readings of an input
// and ends every subscription of it.
func (d *Device) UnsubscribeInput(ctx context.Context, feature uint32, t protocol.InputType) error {
	if err := d.check(); err != nil {
		return err
	}
	m, err := d.inputMessage(feature, t, protocol.InputCommandUnsubscribe)
	if err != nil {
		return err
	}
	key := inputKey{feature, t}
	d.subMu.Lock()
	subs := d.subs[key]
	delete(d.subs, key)
	d.subMu.Unlock()
	for _, s := range subs {
		s.sub.Close()
	}
	return d.sess.requestOk(ctx, m)
}

func (d *Device) deliverReading(ev InputReading) {
	d.subMu.Lock()
	defer d.subMu.Unlock()
	for _, s := range d.subs[inputKey{ev.Feature, ev.Type}] {
		s.sub.publish(ev)
	}
}
