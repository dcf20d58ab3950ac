package client

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/client/internal/fakeserver"
	"github.com/bphost/bphost/core/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCtx bounds a test so that a bug fails it instead of hanging it.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// harness is a client connected to a fake server session.
type harness struct {
	t      *testing.T
	ctx    context.Context
	srv    *fakeserver.Server
	dial   *fakeserver.Dialer
	c      *Client
	sess   *fakeserver.Session
	events *Subscription
}

// newHarness makes a server and client without connecting.
func newHarness(t *testing.T, cfg fakeserver.Config, opts ...Option) *harness {
	t.Helper()
	h := &harness{t: t, ctx: testCtx(t), srv: fakeserver.New(cfg)}
	h.dial = h.srv.Connector()
	h.c = New("bphost test", opts...)
	h.events = h.c.Subscribe(256)
	t.Cleanup(func() {
		_ = h.c.Disconnect(context.Background())
		h.events.Close()
		h.srv.Close()
	})
	return h
}

// connect connects and takes the handshake frames off the session, checking
// that the client asked for the device list after the handshake.
func (h *harness) connect() *harness {
	h.t.Helper()
	if err := h.c.Connect(h.ctx, h.dial); err != nil {
		h.t.Fatalf("Connect: %v", err)
	}
	h.sess = h.lastSession()
	for {
		f := h.next()
		if _, ok := f.Msgs[0].(*protocol.RequestDeviceList); ok {
			break
		}
	}
	return h
}

// lastSession returns the newest session the client opened, dropping older
// ones not taken yet.
func (h *harness) lastSession() *fakeserver.Session {
	h.t.Helper()
	s, err := h.srv.NextSession(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for {
		select {
		case <-h.ctx.Done():
			h.t.Fatal(h.ctx.Err())
		default:
		}
		ctx, cancel := context.WithCancel(h.ctx)
		cancel()
		newer, err := h.srv.NextSession(ctx)
		if err != nil {
			return s
		}
		s = newer
	}
}

// start makes a harness and connects.
func start(t *testing.T, cfg fakeserver.Config, opts ...Option) *harness {
	t.Helper()
	return newHarness(t, cfg, opts...).connect()
}

// next returns the next frame the client sent; it fails on frames that
// break the schema.
func (h *harness) next() fakeserver.Frame {
	h.t.Helper()
	f, err := h.sess.Next(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if f.Err != nil {
		h.t.Fatalf("client sent an invalid frame %s: %v", f.Raw, f.Err)
	}
	return f
}

var anyID = regexp.MustCompile(`"Id":\d+`)

// expect checks the next frame the client sent. In want, "Id":* matches
// any id.
func (h *harness) expect(want string) fakeserver.Frame {
	h.t.Helper()
	f := h.next()
	got := f.Raw
	if regexp.MustCompile(`"Id":\*`).MatchString(want) {
		got = anyID.ReplaceAllString(got, `"Id":*`)
	}
	if got != want {
		h.t.Errorf("client sent\n  %s\nwant\n  %s", f.Raw, want)
	}
	return f
}

// expectNothingSent checks that no frame is waiting, after a round trip
// that proves the client has sent what it was going to.
func (h *harness) expectNothingSent() {
	h.t.Helper()
	if p := h.sess.Pending(); len(p) > 0 {
		h.t.Errorf("client sent %d unexpected frame(s), first %s", len(p), p[0].Raw)
	}
}

// nextEvent returns the next event.
func nextEvent(t testing.TB, ctx context.Context, sub *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-sub.C():
		if !ok {
			t.Fatal("event channel closed")
		}
		return ev
	case <-ctx.Done():
		t.Fatal("no event")
	}
	return nil
}

// expectEvent checks that the next event has type T and returns it.
func expectEvent[T Event](t testing.TB, ctx context.Context, sub *Subscription) T {
	t.Helper()
	ev := nextEvent(t, ctx, sub)
	got, ok := ev.(T)
	if !ok {
		var want T
		t.Fatalf("event %T %+v, want %T", ev, ev, want)
	}
	return got
}

// skipUntil drops events until one of type T.
func skipUntil[T Event](t testing.TB, ctx context.Context, sub *Subscription) T {
	t.Helper()
	for {
		if got, ok := nextEvent(t, ctx, sub).(T); ok {
			return got
		}
	}
}

// mark is an event only tests publish, to see what came before it.
type mark struct{}

func (mark) isEvent() {}

// noEventsBefore checks that no event is buffered in sub: it publishes a
// mark and expects it next. Callers first do a round trip, so the read loop
// has handled everything the server sent before.
func (h *harness) noEventsBefore(sub *Subscription) {
	h.t.Helper()
	h.c.events.publish(mark{})
	if ev := nextEvent(h.t, h.ctx, sub); ev != (mark{}) {
		h.t.Errorf("unexpected event %T %+v", ev, ev)
		skipUntil[mark](h.t, h.ctx, sub)
	}
}

func u32(v uint32) *uint32 { return &v }

func rng(lo, hi int32) protocol.Range { return protocol.Range{lo, hi} }

func rngp(lo, hi int32) *protocol.Range { r := rng(lo, hi); return &r }

func out(t protocol.OutputType, lo, hi int32) map[protocol.OutputType]protocol.OutputSpec {
	return map[protocol.OutputType]protocol.OutputSpec{t: {Value: rng(lo, hi)}}
}

func in(t protocol.InputType, lo, hi int32, cmds ...protocol.InputCommandType) map[protocol.InputType]protocol.InputSpec {
	return map[protocol.InputType]protocol.InputSpec{t: {Value: protocol.RangeList{rng(lo, hi)}, Command: cmds}}
}

var (
	read  = protocol.InputCommandRead
	sub   = protocol.InputCommandSubscribe
	unsub = protocol.InputCommandUnsubscribe
)

// Spec v4 test devices.
func devicesV4() []protocol.DeviceInfo {
	return []protocol.DeviceInfo{
		{DeviceIndex: 0, DeviceName: "Test Vibrator", DeviceMessageTimingGap: 100, DeviceFeatures: map[uint32]protocol.Feature{
			0: {FeatureIndex: 0, FeatureDescription: "Clitoral", Output: out(protocol.OutputVibrate, 0, 20)},
			1: {FeatureIndex: 1, Output: out(protocol.OutputRotate, -20, 20)},
			2: {FeatureIndex: 2, FeatureDescription: "Battery Level", Input: in(protocol.InputBattery, 0, 100, read)},
		}},
		{DeviceIndex: 1, DeviceName: "Test Stroker", DeviceDisplayName: "My Stroker", DeviceMessageTimingGap: 50, DeviceFeatures: map[uint32]protocol.Feature{
			0: {FeatureIndex: 0, Output: map[protocol.OutputType]protocol.OutputSpec{
				protocol.OutputPosition:               {Value: rng(0, 100)},
				protocol.OutputHwPositionWithDuration: {Value: rng(0, 100), Duration: rngp(0, 10000)},
			}},
			1: {FeatureIndex: 1, Output: out(protocol.OutputOscillate, 0, 10)},
			2: {FeatureIndex: 2, Input: in(protocol.InputButton, 0, 1, sub, unsub)},
		}},
		{DeviceIndex: 4, DeviceName: "Test Multi", DeviceFeatures: map[uint32]protocol.Feature{
			0: {FeatureIndex: 0, Output: out(protocol.OutputVibrate, 0, 10)},
			1: {FeatureIndex: 1, Output: out(protocol.OutputConstrict, 0, 5)},
			2: {FeatureIndex: 2, Output: out(protocol.OutputInflate, 0, 7)},
			3: {FeatureIndex: 3, Output: out(protocol.OutputTemperature, -5, 5)},
			4: {FeatureIndex: 4, Output: out(protocol.OutputLed, 0, 255)},
			5: {FeatureIndex: 5, Output: out(protocol.OutputSpray, 0, 1)},
			6: {FeatureIndex: 6, Input: in(protocol.InputRssi, -100, 0, read, sub, unsub)},
			7: {FeatureIndex: 7, Input: in(protocol.InputPressure, 0, 1000, sub, unsub, read)},
			8: {FeatureIndex: 8, Output: out(protocol.OutputVibrate, 0, 20)},
		}},
	}
}

func attr(t protocol.ActuatorType, steps uint32, desc string) protocol.GenericAttributesV3 {
	return protocol.GenericAttributesV3{ActuatorType: t, StepCount: steps, FeatureDescriptor: desc}
}

func sensor(t protocol.SensorType, lo, hi int32, desc string) protocol.SensorAttributes {
	return protocol.SensorAttributes{SensorType: t, SensorRange: protocol.RangeList{rng(lo, hi)}, FeatureDescriptor: desc}
}

// Spec v3 test devices. Device 0 has vibrators at ScalarCmd indexes 0 and
// 2, so commands must use attribute positions, not feature numbers.
func devicesV3() []protocol.DeviceInfoV3 {
	return []protocol.DeviceInfoV3{
		{DeviceIndex: 0, DeviceName: "Test Vibrator v3", DeviceMessageTimingGap: u32(100), DeviceMessages: protocol.DeviceMessagesV3{
			StopDeviceCmd: &protocol.NullAttributes{},
			ScalarCmd: []protocol.GenericAttributesV3{
				attr(protocol.ActuatorVibrate, 20, "Clitoral"),
				attr(protocol.ActuatorOscillate, 10, "Shaft"),
				attr(protocol.ActuatorVibrate, 20, "Internal"),
			},
			RotateCmd:     []protocol.GenericAttributesV3{attr(protocol.ActuatorRotate, 24, "Head")},
			SensorReadCmd: []protocol.SensorAttributes{sensor(protocol.SensorBattery, 0, 100, "Battery Level")},
		}},
		{DeviceIndex: 3, DeviceName: "Test Stroker v3", DeviceDisplayName: "My Stroker", DeviceMessages: protocol.DeviceMessagesV3{
			StopDeviceCmd: &protocol.NullAttributes{},
			ScalarCmd: []protocol.GenericAttributesV3{
				attr(protocol.ActuatorPosition, 100, "Position"),
				attr(protocol.ActuatorConstrict, 5, "Squeeze"),
				attr(protocol.ActuatorInflate, 7, "Pump"),
			},
			LinearCmd: []protocol.GenericAttributesV3{attr(protocol.ActuatorPosition, 100, "Stroke")},
			SensorReadCmd: []protocol.SensorAttributes{
				sensor(protocol.SensorBattery, 0, 100, "Battery Level"),
				sensor(protocol.SensorRSSI, -100, 0, "Signal"),
			},
			SensorSubscribeCmd: []protocol.SensorAttributes{
				sensor(protocol.SensorPressure, 0, 1000, "Pressure"),
				sensor(protocol.SensorRSSI, -100, 0, "Signal"),
			},
		}},
	}
}

// device returns the connected client's device with the given index.
func (h *harness) device(index uint32) *Device {
	h.t.Helper()
	d, ok := h.c.Device(index)
	if !ok {
		h.t.Fatalf("no device %d; have %v", index, h.c.Devices())
	}
	return d
}

func deepEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want))
	}
}
