package simulated_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bphost/bphost/core/device"
	"github.com/bphost/bphost/core/device/comm"
	"github.com/bphost/bphost/core/device/config"
	"github.com/bphost/bphost/core/device/protocols"
	"github.com/bphost/bphost/core/device/simulated"
	"github.com/bphost/bphost/core/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustDB(t testing.TB) *config.DB {
	t.Helper()
	db, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Every registered protocol can be simulated from a configured device: the
// simulated device advertises something the configuration routes to the
// protocol, answers its handshake, and comes up as the model it was made
// from.
func TestEveryProtocolSimulates(t *testing.T) {
	db := mustDB(t)
	sim := simulated.New(db)
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()

	// One model per protocol (the protocol defaults when it has no
	// models); Lovense gets several to cover its handlers.
	type expect struct{ protocol, name string }
	want := map[string]expect{} // address → what must come up
	picked := map[string]int{}
	skipped := map[string]bool{}
	defs := db.Definitions()
	sort.SliceStable(defs, func(i, j int) bool { return len(defs[i].Identifiers) > len(defs[j].Identifiers) })
	for _, def := range defs {
		if _, ok := protocols.Lookup(def.Protocol); !ok {
			continue
		}
		limit := 1
		if def.Protocol == "lovense" {
			limit = 12
		}
		if picked[def.Protocol] >= limit {
			continue
		}
		sd, err := sim.AddDefinition(def)
		if err != nil {
			// Only a protocol without Bluetooth LE devices may be
			// impossible to simulate unambiguously (serial "default" port
			// shared by several protocols).
			ble := false
			for _, c := range db.Communication(def.Protocol) {
				ble = ble || c.BLE != nil
			}
			if ble {
				t.Errorf("%s %q: %v", def.Protocol, def.Name, err)
			}
			skipped[def.Protocol] = true
			continue
		}
		picked[def.Protocol]++
		e := expect{protocol: def.Protocol}
		if len(def.Identifiers) > 0 {
			e.name = def.Name
		}
		want[sd.Address()] = e
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]*device.Device{}
	for len(got) < len(want) {
		select {
		case e := <-m.Events():
			if e.Kind == device.DeviceAdded {
				got[e.Device.Address()] = e.Device
			}
		case <-ctx.Done():
			var missing []string
			for addr, e := range want {
				if _, ok := got[addr]; !ok {
					missing = append(missing, e.protocol+"/"+e.name)
				}
			}
			sort.Strings(missing)
			t.Fatalf("%d of %d devices came up; missing %s", len(got), len(want), strings.Join(missing, ", "))
		}
	}
	for addr, e := range want {
		d := got[addr]
		if d.Protocol() != e.protocol || (e.name != "" && d.Name() != e.name) {
			t.Errorf("device %s came up as %s %q, want %s %q", addr, d.Protocol(), d.Name(), e.protocol, e.name)
		}
	}
	if len(picked)+len(skipped) != len(protocols.Registered()) {
		t.Errorf("%d protocols simulated, %d skipped (%v), %d registered", len(picked), len(skipped), skipped, len(protocols.Registered()))
	}
	// A skipped protocol must have a reason: every port it is found on is
	// one other registered protocols are found on too ("default").
	for p := range skipped {
		if !sharesSerialPorts(db, p) {
			t.Errorf("%s could not be simulated, though no other protocol shares its serial port", p)
		}
	}
}

// sharesSerialPorts reports whether protocol p is found on serial ports
// only, each of which another registered protocol is found on as well.
func sharesSerialPorts(db *config.DB, p string) bool {
	specs := db.Communication(p)
	if len(specs) == 0 {
		return false
	}
	for _, s := range specs {
		if s.Serial == nil {
			return false
		}
		shared := false
		for _, other := range protocols.Registered() {
			if other == p {
				continue
			}
			for _, o := range db.Communication(other) {
				shared = shared || (o.Serial != nil && o.Serial.Port == s.Serial.Port)
			}
		}
		if !shared {
			return false
		}
	}
	return true
}

func TestRecordsAndObserver(t *testing.T) {
	db := mustDB(t)
	var seen []string
	obs := make(chan string, 64)
	sim := simulated.New(db, simulated.WithObserver(func(d *simulated.Device, r simulated.Record) {
		obs <- d.Name() + ": " + r.String()
	}))
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()
	sd, err := sim.Add("Lovense Max")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	var d *device.Device
	for d == nil {
		if e := <-m.Events(); e.Kind == device.DeviceAdded {
			d = e.Device
		}
	}
	if err := d.Output(ctx, 1, protocol.OutputCommand{Type: protocol.OutputConstrict, Value: 3}); err != nil {
		t.Fatal(err)
	}
	recs, err := sd.WaitRecords(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last.Kind != simulated.RecordWrite || string(last.Data) != "Air:Level:3;" || last.Endpoint != comm.EndpointTx {
		t.Fatalf("last record %v", last)
	}
	if s := last.String(); s != `write tx "Air:Level:3;" [65 105 114 58 76 101 118 101 108 58 51 59]` {
		t.Fatalf("record text %q", s)
	}
	for len(seen) < len(recs) {
		seen = append(seen, <-obs)
	}
	if !strings.HasSuffix(seen[len(seen)-1], `"Air:Level:3;" [65 105 114 58 76 101 118 101 108 58 51 59]`) || !strings.HasPrefix(seen[0], "LVS-B01: subscribe rx") {
		t.Fatalf("observer saw %q", seen)
	}
}

func TestScriptedDevice(t *testing.T) {
	db := mustDB(t)
	sim := simulated.New(db)
	defer sim.Close()
	sd := sim.AddAdvertised(comm.Advertisement{Name: "LVS-Test"})
	if sd.Advertisement().Bus != comm.BusBLE || sd.Address() == "" {
		t.Fatalf("advertisement %+v", sd.Advertisement())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hw, err := sd.Connect(ctx, comm.ServiceMap{"s": {comm.EndpointTx: "a", comm.EndpointRx: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.Connect(ctx, comm.ServiceMap{"s": {comm.EndpointTx: "a"}}); err == nil {
		t.Fatal("second connection accepted")
	}
	if err := hw.Write(ctx, "txmode", []byte{1}, false); !errors.Is(err, comm.ErrUnknownEndpoint) {
		t.Fatalf("write to missing endpoint: %v", err)
	}
	// Notifications reach only subscribed endpoints.
	if sd.Notify(comm.EndpointRx, []byte("x")) {
		t.Fatal("notification delivered without subscription")
	}
	if err := hw.Subscribe(ctx, comm.EndpointRx); err != nil {
		t.Fatal(err)
	}
	if !sd.Notify(comm.EndpointRx, []byte("hello")) {
		t.Fatal("notification not delivered")
	}
	if n := <-hw.Notifications(); string(n.Data) != "hello" || n.Endpoint != comm.EndpointRx {
		t.Fatalf("notification %+v", n)
	}
	// A read waits for the script to queue data.
	got := make(chan []byte, 1)
	go func() {
		b, _ := hw.Read(ctx, comm.EndpointRx, 0)
		got <- b
	}()
	sd.QueueRead(comm.EndpointRx, []byte{7})
	if b := <-got; len(b) != 1 || b[0] != 7 {
		t.Fatalf("read %v", b)
	}
	// A hung device never answers; the read ends with its context.
	sd.HangReads(true)
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if _, err := hw.Read(short, comm.EndpointRx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung read: %v", err)
	}
	sd.Disconnect()
	if _, ok := <-hw.Notifications(); ok {
		t.Fatal("notifications still open after disconnect")
	}
	if err := hw.Write(ctx, comm.EndpointTx, []byte{1}, false); !errors.Is(err, comm.ErrDisconnected) {
		t.Fatalf("write after disconnect: %v", err)
	}
	if sd.Connected() {
		t.Fatal("still connected")
	}
}

// A device whose protocol has no implementation could never connect, so
// it is refused, naming the device and the protocol; a name that a
// protocol without implementation shares with an implemented one picks the
// implemented one.
func TestAddRefusesUnimplementedProtocol(t *testing.T) {
	const base = `{"version":{"major":4,"minor":0},"protocols":{
	 "bphost-test-missing":{"communication":[{"btle":{"names":["NoImpl"],
	   "services":{"0000fff0-0000-1000-8000-00805f9b34fb":{"tx":"0000fff1-0000-1000-8000-00805f9b34fb"}}}}],
	  "defaults":{"id":"6f1d0c1e-6a53-4d36-9d55-0b7f1f8c2a10","name":"Phantom Toy","features":[
	   {"id":"0c0f3f64-49f3-4a3e-8a3e-0d8f5e9b7c21","index":0,"output":{"vibrate":{"value":[0,10]}}}]}}}}`
	custom, err := config.Load(&config.Source{Name: "base.json", Data: []byte(base)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		db             *config.DB
		name, protocol string
	}{
		{custom, "Phantom Toy", "bphost-test-missing"},
		// Deliberately unregistered: an HTTP service, not a device link.
		{mustDB(t), "Lovense Connect Service Device", "lovense-connect-service"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := protocols.Lookup(c.protocol); ok {
				t.Fatalf("protocol %s is implemented; pick another", c.protocol)
			}
			sim := simulated.New(c.db)
			defer sim.Close()
			_, err := sim.Add(c.name)
			if !errors.Is(err, simulated.ErrNoProtocol) {
				t.Fatalf("Add(%q): %v; want ErrNoProtocol", c.name, err)
			}
			if msg := err.Error(); !strings.Contains(msg, c.name) || !strings.Contains(msg, c.protocol) {
				t.Errorf("error %q names neither the device nor the protocol", msg)
			}
			if n := len(sim.Devices()); n != 0 {
				t.Errorf("%d devices created", n)
			}
		})
	}
	// "Lovense Max" is also a model of lovense-connect-service.
	sim := simulated.New(mustDB(t))
	defer sim.Close()
	d, err := sim.Add("Lovense Max")
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Definition().Protocol; p != "lovense" {
		t.Errorf("Lovense Max simulated with protocol %s", p)
	}
}

func TestAddUnknownName(t *testing.T) {
	sim := simulated.New(mustDB(t))
	defer sim.Close()
	if _, err := sim.Add("No Such Toy 3000"); err == nil {
		t.Fatal("unknown device name accepted")
	}
}

func ExampleManager() {
	db, err := config.Default()
	if err != nil {
		panic(err)
	}
	sim := simulated.New(db, simulated.WithEndlessScan())
	toy, err := sim.Add("Lovense Hush", simulated.WithBattery(77))
	if err != nil {
		panic(err)
	}
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()

	ctx := context.Background()
	if err := m.StartScanning(ctx); err != nil {
		panic(err)
	}
	var d *device.Device
	for d == nil {
		if e := <-m.Events(); e.Kind == device.DeviceAdded {
			d = e.Device
		}
	}
	_ = d.Output(ctx, 0, protocol.OutputCommand{Type: protocol.OutputVibrate, Value: 10})
	level, _ := d.Input(ctx, 1, protocol.InputBattery, protocol.InputCommandRead)
	fmt.Println(d.Name(), "battery", level)
	for _, w := range toy.Writes() {
		fmt.Printf("%q\n", w.Data)
	}
	// Output:
	// Lovense Hush battery 77
	// "DeviceType;"
	// "Vibrate:10;"
	// "Battery;"
}

// A simulated model is known by its configuration name; it advertises what
// the real device does. A scripted device has only its advertised name.
func TestModelName(t *testing.T) {
	sim := simulated.New(mustDB(t))
	defer sim.Close()
	sd, err := sim.Add("Vorze A10 Cyclone SA")
	if err != nil {
		t.Fatal(err)
	}
	if sd.Model() != "Vorze A10 Cyclone SA" || sd.Name() != "CycSA" {
		t.Errorf("Model %q, Name %q; want the config name and the advertised one", sd.Model(), sd.Name())
	}
	if s := sim.AddAdvertised(comm.Advertisement{Name: "LVS-Test"}); s.Model() != "LVS-Test" {
		t.Errorf("scripted device Model %q, want its advertised name", s.Model())
	}
}

// A device made from the configuration answers its battery read like the
// toy even when its protocol has no simulation of its own (the KGoal Boost
// reads the standard BLE battery characteristic).
func TestBatteryWithoutSimulator(t *testing.T) {
	db := mustDB(t)
	sim := simulated.New(db)
	m := device.NewManager(db, []comm.Manager{sim})
	defer m.Close()
	sd, err := sim.Add("KGoal Boost", simulated.WithBattery(42))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := protocols.LookupSimulator(sd.Definition().Protocol); ok {
		t.Fatalf("%s has a simulator now: pick another protocol for this test", sd.Definition().Protocol)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.StartScanning(ctx); err != nil {
		t.Fatal(err)
	}
	var d *device.Device
	for d == nil {
		if e := <-m.Events(); e.Kind == device.DeviceAdded {
			d = e.Device
		}
	}
	for i, f := range d.Info().DeviceFeatures {
		if _, ok := f.Input[protocol.InputBattery]; ok {
			level, err := d.Input(ctx, i, protocol.InputBattery, protocol.InputCommandRead)
			if err != nil || level != 42 {
				t.Fatalf("battery %d, %v; want 42", level, err)
			}
			return
		}
	}
	t.Fatal("no battery feature")
}
