package device_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/protocol"
	"github.com/bphost/bphost/core/server"
)

// *device.Device is what the server consumes.
var _ server.Device = (*device.Device)(nil)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func defaultDB(t *testing.T) *config.DB {
	t.Helper()
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// rig is a manager over simulated devices.
type rig struct {
	t   *testing.T
	db  *config.DB
	sim *simulated.Manager
	m   *device.Manager
}

func newRig(t *testing.T, opts ...device.Option) *rig {
	t.Helper()
	db := defaultDB(t)
	sim := simulated.New(db)
	m := device.NewManager(db, []comm.Manager{sim}, opts...)
	t.Cleanup(func() { _ = m.Close() })
	return &rig{t: t, db: db, sim: sim, m: m}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// event waits for the next event of kind k, skipping others.
func (r *rig) event(k device.EventKind) device.Event {
	r.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-r.m.Events():
			if !ok {
				r.t.Fatalf("events closed while waiting for %v", k)
			}
			if e.Kind == k {
				return e
			}
		case <-timeout:
			r.t.Fatalf("no %v event", k)
		}
	}
}

// add creates a simulated device and waits until the manager has it.
func (r *rig) add(name string, opts ...simulated.DeviceOption) (*simulated.Device, *device.Device) {
	r.t.Helper()
	sd, err := r.sim.Add(name, opts...)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.m.StartScanning(ctxT(r.t)); err != nil {
		r.t.Fatal(err)
	}
	e := r.event(device.DeviceAdded)
	return sd, e.Device
}

func writes(sd *simulated.Device) []string {
	var out []string
	for _, w := range sd.Writes() {
		out = append(out, string(w.Data))
	}
	return out
}

func vib(v int32) protocol.OutputCommand {
	return protocol.OutputCommand{Type: protocol.OutputVibrate, Value: v}
}

func TestLovenseHushEndToEnd(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("Lovense Hush", simulated.WithBattery(42))

	info := d.Info()
	if info.DeviceName != "Lovense Hush" || info.DeviceIndex != d.Index() {
		t.Fatalf("info = %+v", info)
	}
	if got := info.DeviceFeatures[0].Output[protocol.OutputVibrate].Value; got != (protocol.Range{0, 20}) {
		t.Fatalf("vibrate range = %v, want [0 20]", got)
	}
	if err := d.Output(ctx, 0, vib(10)); err != nil {
		t.Fatal(err)
	}
	lvl, err := d.Input(ctx, 1, protocol.InputBattery, protocol.InputCommandRead)
	if err != nil || lvl != 42 {
		t.Fatalf("battery = %d, %v; want 42", lvl, err)
	}
	if err := r.m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"DeviceType;", "Vibrate:10;", "Battery;", "Vibrate:0;"}
	if got := writes(sd); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("device received %q, want %q", got, want)
	}
	if recs := sd.Records(); recs[0].Kind != simulated.RecordSubscribe || recs[0].Endpoint != comm.EndpointRx {
		t.Fatalf("first operation %v, want subscribe rx", recs[0])
	}
}

func TestOutputValidation(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("Lovense Nora")
	before := len(sd.Writes())
	cases := []struct {
		name    string
		feature uint32
		cmd     protocol.OutputCommand
		want    error
	}{
		{"above range", 0, vib(21), device.ErrOutOfRange},
		{"negative on unsigned", 0, vib(-1), device.ErrOutOfRange},
		{"rotate beyond", 1, protocol.OutputCommand{Type: protocol.OutputRotate, Value: -21}, device.ErrOutOfRange},
		{"wrong type", 0, protocol.OutputCommand{Type: protocol.OutputConstrict, Value: 1}, device.ErrUnsupported},
		{"no feature", 9, vib(1), device.ErrUnknownFeature},
		{"input feature", 2, vib(1), device.ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := d.Output(ctx, c.feature, c.cmd)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// A batch with one bad command sends nothing.
	err := d.Outputs(ctx, []device.FeatureOutput{{Feature: 0, Command: vib(5)}, {Feature: 0, Command: vib(99)}})
	if !errors.Is(err, device.ErrOutOfRange) {
		t.Fatalf("batch err = %v", err)
	}
	if n := len(sd.Writes()); n != before {
		t.Fatalf("invalid commands reached the device: %q", writes(sd)[before:])
	}
	if _, err := d.Input(ctx, 2, protocol.InputBattery, protocol.InputCommandSubscribe); !errors.Is(err, device.ErrUnsupported) {
		t.Fatalf("subscribe to read-only battery: %v", err)
	}
}

func TestRepeatedValueNotResent(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("Lovense Hush")
	for i := 0; i < 3; i++ {
		if err := d.Output(ctx, 0, vib(7)); err != nil {
			t.Fatal(err)
		}
	}
	if got := writes(sd); strings.Join(got, " ") != "DeviceType; Vibrate:7;" {
		t.Fatalf("writes = %q", got)
	}
}

// A hung device fails its own command after the I/O timeout, and another
// device keeps working meanwhile.
func TestHungDeviceFailsAlone(t *testing.T) {
	r := newRig(t, device.WithIOTimeout(300*time.Millisecond))
	ctx := ctxT(t)
	hung, hd := r.add("Lovense Hush", simulated.WithAddress("hung"))
	ok, od := r.add("Lovense Lush", simulated.WithAddress("ok"))
	hung.HangReads(true)

	readErr := make(chan error, 1)
	go func() {
		_, err := hd.Input(ctx, 1, protocol.InputBattery, protocol.InputCommandRead)
		readErr <- err
	}()
	if err := od.Output(ctx, 0, vib(3)); err != nil {
		t.Fatalf("healthy device: %v", err)
	}
	if lvl, err := od.Input(ctx, 1, protocol.InputBattery, protocol.InputCommandRead); err != nil || lvl != simulated.DefaultBattery {
		t.Fatalf("healthy battery = %d, %v", lvl, err)
	}
	if err := <-readErr; !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("hung read: %v, want ErrTimeout", err)
	}
	// The hung device still takes outputs.
	if err := hd.Output(ctx, 0, vib(1)); err != nil {
		t.Fatal(err)
	}
	if got := writes(ok); got[len(got)-1] != "Battery;" {
		t.Fatalf("healthy device writes %q", got)
	}
}

// Commands queued behind a slow write are coalesced: the latest value wins
// and the superseded one never reaches the device.
func TestLatestValueWins(t *testing.T) {
	// The hung first write must outlast queueing the other two: with a
	// short timeout a loaded machine let it time out first, the second
	// took its place and the queue never held two.
	r := newRig(t, device.WithIOTimeout(3*time.Second))
	ctx := ctxT(t)
	sd, d := r.add("Lovense Hush")
	sd.HangWrites(true)

	first := make(chan error, 1)
	go func() { first <- d.Output(ctx, 0, vib(1)) }()
	// Wait until the device goroutine is stuck in the first write.
	for {
		ch := sd.Changed()
		if sd.Blocked() == 1 {
			break
		}
		<-ch
	}
	second := make(chan error, 1)
	go func() { second <- d.Output(ctx, 0, vib(2)) }()
	for deadline := time.Now().Add(30 * time.Second); d.QueuedBatches() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d batches queued, want 1", d.QueuedBatches())
		}
	}
	third := make(chan error, 1)
	go func() { third <- d.Output(ctx, 0, vib(3)) }()
	for deadline := time.Now().Add(30 * time.Second); d.QueuedBatches() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d batches queued, want 2", d.QueuedBatches())
		}
	}
	sd.HangWrites(false)
	if err := <-first; !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("first: %v, want timeout", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second (superseded): %v", err)
	}
	if err := <-third; err != nil {
		t.Fatalf("third: %v", err)
	}
	if got := writes(sd); strings.Join(got, " ") != "DeviceType; Vibrate:3;" {
		t.Fatalf("writes = %q, want the latest value only", got)
	}
}

// QueueOutputs returns once the commands are queued, so successive calls
// keep their order without waiting for each write, and those queued behind
// a write still coalesce.
func TestQueueOutputsKeepsOrder(t *testing.T) {
	r := newRig(t, device.WithIOTimeout(300*time.Millisecond))
	ctx := ctxT(t)
	sd, d := r.add("Lovense Hush")
	sd.HangWrites(true)
	var waits []func(context.Context) error
	queue := func(v int32) {
		t.Helper()
		w, err := d.QueueOutputs([]device.FeatureOutput{{Feature: 0, Command: vib(v)}})
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	queue(1)
	for {
		ch := sd.Changed()
		if sd.Blocked() == 1 {
			break
		}
		<-ch
	}
	for v := int32(2); v <= 5; v++ {
		queue(v)
	}
	sd.HangWrites(false)
	if err := waits[0](ctx); !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("hung command: %v, want timeout", err)
	}
	for i, w := range waits[1:] {
		if err := w(ctx); err != nil {
			t.Fatalf("command %d: %v", i+2, err)
		}
	}
	if got := writes(sd); strings.Join(got, " ") != "DeviceType; Vibrate:5;" {
		t.Fatalf("writes = %q, want the latest value only", got)
	}
	if _, err := d.QueueOutputs([]device.FeatureOutput{{Feature: 0, Command: vib(21)}}); !errors.Is(err, device.ErrOutOfRange) {
		t.Fatalf("out of range: %v", err)
	}
}

func TestDisconnectAndReconnectKeepsIndex(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	_, _ = r.add("Lovense Lush", simulated.WithAddress("a"))
	sd, d := r.add("Lovense Hush", simulated.WithAddress("b"))
	idx := d.Index()
	sd.Disconnect()
	e := r.event(device.DeviceRemoved)
	if e.Index != idx {
		t.Fatalf("removed index %d, want %d", e.Index, idx)
	}
	if _, ok := r.m.Device(idx); ok {
		t.Fatal("device still listed after disconnect")
	}
	if err := d.Output(ctx, 0, vib(1)); !errors.Is(err, device.ErrDisconnected) {
		t.Fatalf("output after disconnect: %v", err)
	}
	if err := r.m.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	e = r.event(device.DeviceAdded)
	if e.Index != idx || e.Device.Name() != "Lovense Hush" {
		t.Fatalf("reconnected as %d %q, want index %d", e.Index, e.Device.Name(), idx)
	}
	if got := len(r.m.Devices()); got != 2 {
		t.Fatalf("%d devices listed, want 2", got)
	}
}

func TestScanningStates(t *testing.T) {
	db := defaultDB(t)
	sim := simulated.New(db)
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()
	ctx := ctxT(t)
	if err := m.StopScanning(ctx); err != nil {
		t.Fatalf("stop while idle: %v", err)
	}
	// The simulated scan ends by itself: exactly the scans that end by
	// themselves report ScanningFinished. Each scan starts after the last
	// one finished: a start racing the end of the scan before it begins a
	// scan of its own, still running after the earlier ScanningFinished.
	for i := 0; i < 3; i++ {
		if err := m.StartScanning(ctx); err != nil {
			t.Fatalf("start #%d: %v", i, err)
		}
		for e := range m.Events() {
			if e.Kind == device.ScanningFinished {
				break
			}
		}
		if m.Scanning() {
			t.Fatalf("scan #%d: still scanning after ScanningFinished", i)
		}
	}

	// Starting while scanning is not an error; an endless scan is running
	// for certain when the second start comes.
	endless := simulated.New(db, simulated.WithEndlessScan())
	m2 := device.NewManager(db, []comm.Manager{endless})
	defer m2.Close()
	for i := 0; i < 3; i++ {
		if err := m2.StartScanning(ctx); err != nil {
			t.Fatalf("start #%d while scanning: %v", i, err)
		}
		if !m2.Scanning() {
			t.Fatalf("not scanning after StartScanning #%d", i)
		}
	}
	if err := m2.StopScanning(ctx); err != nil {
		t.Fatal(err)
	}
	if m2.Scanning() {
		t.Fatal("scanning after StopScanning")
	}
}

func TestCloseStopsEveryDevice(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	a, da := r.add("Lovense Edge", simulated.WithAddress("edge"))
	b, db := r.add("Lovense Max", simulated.WithAddress("max"))
	if err := da.Output(ctx, 1, vib(4)); err != nil {
		t.Fatal(err)
	}
	if err := db.Output(ctx, 1, protocol.OutputCommand{Type: protocol.OutputConstrict, Value: 2}); err != nil {
		t.Fatal(err)
	}
	if err := r.m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := writes(a); got[len(got)-2] != "Vibrate1:0;" || got[len(got)-1] != "Vibrate2:0;" {
		t.Fatalf("edge after close: %q", got)
	}
	if got := writes(b); got[len(got)-2] != "Vibrate:0;" || got[len(got)-1] != "Air:Level:0;" {
		t.Fatalf("max after close: %q", got)
	}
	for range r.m.Events() {
	}
	if a.Connected() || b.Connected() {
		t.Fatal("devices still connected after Close")
	}
	if err := r.m.StartScanning(ctx); !errors.Is(err, device.ErrClosed) {
		t.Fatalf("scan after close: %v", err)
	}
}

func TestDenyList(t *testing.T) {
	user := []byte(`{"version":{"major":4,"minor":0},"user_configs":{"devices":[
	 {"identifier":{"protocol":"lovense","identifier":"Z","address":"banned"},
	  "config":{"id":"5d434198-4697-4b00-985e-33788fc955d1","base_id":"37642e1c-a416-44d3-bada-76b6d9e245c9",
	   "features":[{"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","base_id":"3f7a25a5-df21-42ca-bf9f-d1c52df1f37e"},
	               {"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c","base_id":"14bd7637-13ed-49ba-9eb9-9c8ba9abec20"}],
	   "user_config":{"allow":false,"deny":true,"index":3}}}]}}`)
	db, err := config.Load(nil, &config.Source{Name: "user.json", Data: user})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulated.New(db)
	refused := make(chan error, 1)
	m := device.NewManager(db, []comm.Manager{sim}, device.WithConnectFailures(func(_ comm.Advertisement, err error) { refused <- err }))
	defer m.Close()
	if _, err := sim.Add("Lovense Hush", simulated.WithAddress("banned")); err != nil {
		t.Fatal(err)
	}
	if err := m.StartScanning(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-refused; !errors.Is(err, device.ErrNotAllowed) {
		t.Fatalf("refusal: %v", err)
	}
	if n := len(m.Devices()); n != 0 {
		t.Fatalf("%d devices connected", n)
	}
}

func TestInputSubscription(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("KGoal Boost")
	if f := d.Info().DeviceFeatures[0]; f.Input[protocol.InputPressure].Command[0] != protocol.InputCommandSubscribe {
		t.Fatalf("feature 0 = %+v", f)
	}
	for i := 0; i < 2; i++ { // the second subscribe is a no-op
		if _, err := d.Input(ctx, 0, protocol.InputPressure, protocol.InputCommandSubscribe); err != nil {
			t.Fatal(err)
		}
	}
	if !sd.Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 0x01, 0x02, 0x03, 0x04}) {
		t.Fatal("pressure endpoint not subscribed on the device")
	}
	e := r.event(device.InputReading)
	want := protocol.InputReading{DeviceIndex: d.Index(), FeatureIndex: 0, Reading: protocol.InputValue{Type: protocol.InputPressure, Value: 0x0102}}
	if e.Reading != want || e.Index != d.Index() {
		t.Fatalf("reading %+v, want %+v", e.Reading, want)
	}
	// Stopping the device's inputs ends the subscription on the hardware.
	if err := r.m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	var subs, unsubs int
	for _, rec := range sd.Records() {
		switch rec.Kind {
		case simulated.RecordSubscribe:
			subs++
		case simulated.RecordUnsubscribe:
			unsubs++
		}
	}
	if subs != 1 || unsubs != 1 {
		t.Fatalf("%d subscribes, %d unsubscribes; want 1 and 1", subs, unsubs)
	}
	if sd.Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 9, 9, 9, 9}) {
		t.Fatal("still subscribed after StopAll")
	}
}

// Devices that need keepalives get a stop packet when they connect, and
// the last packet repeated while idle.
func TestKeepalive(t *testing.T) {
	r := newRig(t)
	sd, _ := r.add("MysteryVibe Crescendo")
	ctx := ctxT(t)
	for {
		ch := sd.Changed()
		n := 0
		for _, w := range sd.Writes() {
			if w.Endpoint == comm.EndpointTxVibrate && allZero(w.Data) {
				n++
			}
		}
		if n >= 3 {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("keepalive not repeated; writes %v", sd.Writes())
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return len(b) > 0
}

func ExampleManager() {
	db, err := config.Default()
	if err != nil {
		panic(err)
	}
	sim := simulated.New(db)
	if _, err := sim.Add("Lovense Nora"); err != nil {
		panic(err)
	}
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()

	ctx := context.Background()
	if err := m.StartScanning(ctx); err != nil {
		panic(err)
	}
	for e := range m.Events() {
		if e.Kind != device.DeviceAdded {
			continue
		}
		d := e.Device
		// Rotate counter-clockwise at half speed: values are steps inside
		// the advertised range, here [-20, 20].
		fmt.Println(d.Info().DeviceFeatures[1].Output[protocol.OutputRotate].Value)
		fmt.Println(d.Output(ctx, 1, protocol.OutputCommand{Type: protocol.OutputRotate, Value: -10}))
		err := d.Output(ctx, 1, protocol.OutputCommand{Type: protocol.OutputRotate, Value: 30})
		fmt.Println(errors.Is(err, device.ErrOutOfRange))
		break
	}
	// Output:
	// [-20 20]
	// <nil>
	// true
}

// A stop ends a movement the protocol steps by itself: the Solace Pro's
// position is stepped towards its goal every 100 ms, and after a stop no
// step follows, even though the goal was not reached.
func TestStopHaltsSteppedMovement(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("Lovense Solace Pro")
	steps := func() int {
		n := 0
		for _, w := range writes(sd) {
			if strings.HasPrefix(w, "FSetSite:") {
				n++
			}
		}
		return n
	}
	// 0 to 100 over 3 s: 30 steps.
	if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputHwPositionWithDuration, Value: 100, Duration: 3000}); err != nil {
		t.Fatal(err)
	}
	for steps() < 2 {
		if _, err := sd.WaitRecords(ctx, len(sd.Records())+1); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Stop(ctx, nil, false, true); err != nil {
		t.Fatal(err)
	}
	// A step being written when the stop came may still land.
	atStop := steps()
	time.Sleep(500 * time.Millisecond) // five step periods
	if n := steps(); n > atStop+1 {
		t.Fatalf("%d position steps after the stop (%q)", n-atStop, writes(sd))
	}
	// The same goal asked for again is sent again.
	before := steps()
	if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputHwPositionWithDuration, Value: 100, Duration: 3000}); err != nil {
		t.Fatal(err)
	}
	if _, err := sd.WaitRecords(ctx, len(sd.Records())+1); err != nil || steps() <= before {
		t.Fatalf("no movement after asking again: %v %q", err, writes(sd))
	}
}

// The Kiiroo Onyx's movement is interpolated over the command's duration;
// a stop freezes it where it is (later packets, its keepalive pings among
// them, repeat that position).
func TestStopHaltsInterpolatedMovement(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("Kiiroo Onyx")
	// Value 0 is device position 4 (the protocol counts from the other
	// end), reached from where it starts, 0, over 4 s: a step a second.
	if err := d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputHwPositionWithDuration, Value: 0, Duration: 4000}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1600 * time.Millisecond) // past the first step
	if err := d.Stop(ctx, nil, false, true); err != nil {
		t.Fatal(err)
	}
	atStop := len(writes(sd))
	time.Sleep(1200 * time.Millisecond) // the movement would take a step, and pings go out
	after := writes(sd)[atStop:]
	if len(after) == 0 {
		t.Fatalf("no keepalive after the stop: %q", writes(sd))
	}
	last := writes(sd)[atStop-1]
	for _, w := range after[1:] { // the first may be a step written as the stop came
		if w != after[0] {
			t.Fatalf("the Onyx moved after the stop: %q then %q", last, after)
		}
	}
}

// ScanningFinished comes after the DeviceAdded of every device the scan
// found, even when the scan itself ended while they were still connecting,
// so a client may stop listening at ScanningFinished.
func TestScanningFinishedAfterFoundDevices(t *testing.T) {
	db := defaultDB(t)
	names := []string{"Lovense Hush", "Lovense Nora", "Vorze A10 Cyclone SA", "Lovense Solace Pro"}
	for round := 0; round < 20; round++ {
		sim := simulated.New(db)
		for _, n := range names {
			if _, err := sim.Add(n); err != nil {
				t.Fatal(err)
			}
		}
		m := device.NewManager(db, []comm.Manager{sim})
		if err := m.StartScanning(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		added := 0
		for e := range m.Events() {
			if e.Kind == device.DeviceAdded {
				added++
			}
			if e.Kind == device.ScanningFinished {
				break
			}
		}
		m.Close()
		if added != len(names) {
			t.Fatalf("round %d: %d DeviceAdded before ScanningFinished, want %d", round, added, len(names))
		}
	}
}

// A watcher beside the Events reader sees the same events; once stopped it
// sees no more.
func TestWatchBesideEvents(t *testing.T) {
	r := newRig(t)
	seen := make(chan device.Event, 64)
	stop := r.m.Watch(func(e device.Event) { seen <- e })
	_, d := r.add("Lovense Hush")
	timeout := time.After(20 * time.Second)
	for added := false; !added; {
		select {
		case e := <-seen:
			added = e.Kind == device.DeviceAdded
			if added && (e.Index != d.Index() || e.Device != d) {
				t.Fatalf("watcher got DeviceAdded of %d, want %d", e.Index, d.Index())
			}
		case <-timeout:
			t.Fatal("watcher saw no DeviceAdded")
		}
	}
	stop()
	stop()
	if _, err := r.sim.Add("Lovense Nora"); err != nil {
		t.Fatal(err)
	}
	if err := r.m.StartScanning(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	r.event(device.DeviceAdded) // the Events reader still gets it
	for len(seen) > 0 {
		if e := <-seen; e.Kind == device.DeviceAdded {
			t.Fatalf("stopped watcher got DeviceAdded of %d", e.Index)
		}
	}
}

// A device whose write hangs takes QueueDepth calls, then refuses outputs
// with ErrBusy at once, but still queues a stop, which reaches the device
// after the outputs before it; the refused output never does.
func TestFullQueueRefusesOutputsNotStops(t *testing.T) {
	r := newRig(t, device.WithIOTimeout(2*time.Second))
	ctx := ctxT(t)
	sd, d := r.add("Lovense Hush")
	sd.HangWrites(true)
	queue := func(v int32) (func(context.Context) error, error) {
		return d.QueueOutputs([]device.FeatureOutput{{Feature: 0, Command: vib(v)}})
	}
	first, err := queue(1)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ch := sd.Changed()
		if sd.Blocked() == 1 {
			break
		}
		<-ch
	}
	var waits []func(context.Context) error
	for i := range device.QueueDepth {
		w, err := queue(int32(2 + i%2)) // alternate, so no value is a repeat
		if err != nil {
			t.Fatalf("output %d of %d: %v", i+1, device.QueueDepth, err)
		}
		waits = append(waits, w)
	}
	if _, err := queue(7); !errors.Is(err, device.ErrBusy) {
		t.Fatalf("output past the queue: %v, want ErrBusy", err)
	}
	stop, err := d.QueueStop(ctx, nil, true, true)
	if err != nil {
		t.Fatalf("stop behind a full queue: %v", err)
	}
	sd.HangWrites(false)
	if err := first(ctx); !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("hung write: %v, want ErrTimeout", err)
	}
	for _, w := range waits {
		if err := w(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(ctx); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(writes(sd), " ")
	if got != "DeviceType; Vibrate:0;" {
		t.Fatalf("writes = %q, want the stop to win the coalesced queue", got)
	}
}

// Subscriptions queued without waiting take effect in call order, behind
// the device's earlier calls.
func TestSubscriptionsKeepCallOrder(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	sd, d := r.add("KGoal Boost")
	var waits []func(context.Context) error
	for i := range 6 {
		cmd := protocol.InputCommandSubscribe
		if i%2 == 1 {
			cmd = protocol.InputCommandUnsubscribe
		}
		w, err := d.QueueInput(0, protocol.InputPressure, cmd)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	for i, w := range waits {
		if err := w(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	var kinds []string
	for _, rec := range sd.Records() {
		switch rec.Kind {
		case simulated.RecordSubscribe:
			kinds = append(kinds, "sub")
		case simulated.RecordUnsubscribe:
			kinds = append(kinds, "unsub")
		}
	}
	if got := strings.Join(kinds, " "); got != "sub unsub sub unsub sub unsub" {
		t.Fatalf("device saw %q", got)
	}
	if sd.Notify(comm.EndpointRxPressure, []byte{0, 0, 0, 1, 2, 3, 4}) {
		t.Fatal("subscribed after the last unsubscribe")
	}
	if _, err := d.QueueInput(0, protocol.InputPressure, protocol.InputCommandRead); !errors.Is(err, device.ErrUnsupported) {
		t.Fatalf("queued read: %v, want ErrUnsupported", err)
	}
}
